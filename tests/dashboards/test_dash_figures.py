"""Every figure builder on a small hand-made frame: right traces, right values, target line, empty input."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboards import figures

MAY, JUNE = date(2026, 5, 1), date(2026, 6, 1)


def target_lines(fig: go.Figure) -> dict[str, float]:
    """Horizontal target shapes by name -> y value."""
    return {s.name: s.y0 for s in fig.layout.shapes if s.name and s.name.startswith("target")}


def assert_no_data(fig: go.Figure) -> None:
    assert len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == [figures.NO_DATA_TEXT]
    assert fig.layout.title.text  # still titled, so the reader knows what is empty


def test_sla_attainment_one_line_per_priority_with_target():
    frame = pd.DataFrame(
        {
            "month": [MAY, JUNE, MAY, JUNE],
            "priority": [1, 1, 3, 3],
            "met": [1, 1, 2, 1],
            "breached": [0, 0, 1, 3],
            # P3 June: 1 met of 4 decided -> 25 %
            "attainment_pct": [100.0, 100.0, 66.7, 25.0],
        }
    )
    fig = figures.sla_attainment_trend(frame, target_pct=95)
    assert [t.name for t in fig.data] == ["P1", "P3"]
    assert list(fig.data[1].y) == [66.7, 25.0]
    assert target_lines(fig) == {"target: SLA": 95.0}
    assert [a.text for a in fig.layout.annotations] == ["SLA target 95%"]
    assert fig.layout.yaxis.title.text == "SLA attainment (%)"
    assert "breached" in fig.data[0].hovertemplate


def test_sla_attainment_empty_and_all_null_show_no_data():
    assert_no_data(figures.sla_attainment_trend(pd.DataFrame()))
    assert_no_data(figures.sla_attainment_trend(None))
    null_only = pd.DataFrame({"month": [MAY], "priority": [1], "met": [0], "breached": [0], "attainment_pct": [None]})
    assert_no_data(figures.sla_attainment_trend(null_only))


def test_mttr_median_and_p90_with_target():
    frame = pd.DataFrame(
        {
            "month": [JUNE, MAY],
            "median_hours": [8.5, 5.0],
            "p90_hours": [17.6, 9.2],
            "mean_hours": [10, 5.5],
            "resolved": [4, 4],
        }
    )
    fig = figures.mttr_trend(frame, target_hours=8)
    assert [t.name for t in fig.data] == ["median", "p90"]
    assert list(fig.data[0].y) == [5.0, 8.5]  # sorted by month
    assert target_lines(fig) == {"target: median": 8.0}
    assert "business hours" in fig.layout.yaxis.title.text
    assert_no_data(figures.mttr_trend(pd.DataFrame(columns=frame.columns)))


def test_mttr_without_target_has_no_target_line():
    frame = pd.DataFrame(
        {"month": [MAY], "median_hours": [5.0], "p90_hours": [9.0], "mean_hours": [5.0], "resolved": [4]}
    )
    assert target_lines(figures.mttr_trend(frame, target_hours=None)) == {}


def test_backlog_stacks_age_buckets_young_to_old():
    frame = pd.DataFrame(
        {
            "snapshot_date": [date(2026, 6, 29)] * 3 + [date(2026, 6, 30)] * 2,
            "age_bucket": [">90", "0-1", "6-30", "0-1", ">90"],
            "open_tickets": [1, 4, 2, 3, 1],
        }
    )
    fig = figures.backlog_aging(frame)
    assert [t.name for t in fig.data] == ["0-1 days", "6-30 days", ">90 days"]
    assert all(t.stackgroup == "backlog" for t in fig.data)
    assert list(fig.data[0].y) == [4, 3]
    assert fig.layout.yaxis.title.text == "Open tickets (count)"
    assert_no_data(figures.backlog_aging(pd.DataFrame()))


def test_top_breaching_largest_first_and_limited():
    frame = pd.DataFrame(
        {"label": ["a", "b", "c"], "breached": [2, 5, 1], "total": [4, 10, 10], "breach_pct": [50.0, 50.0, 10.0]}
    )
    fig = figures.top_breaching(frame, "services", limit=2)
    bar = fig.data[0]
    # horizontal bars are drawn bottom-up, so the largest is last in the arrays (top of the chart)
    assert list(bar.y) == ["a", "b"] and list(bar.x) == [2, 5]
    assert fig.layout.title.text == "Top breaching services"
    assert fig.layout.xaxis.title.text == "Breached SLAs (count)"
    assert_no_data(figures.top_breaching(pd.DataFrame(), "groups"))


def test_top_breaching_says_what_its_percent_labels_are_without_hovering():
    # a: 2 breached of 4 decided -> 50.0 %; b: 5 of 10 -> 50.0 %
    frame = pd.DataFrame({"label": ["a", "b"], "breached": [2, 5], "total": [4, 10], "breach_pct": [50.0, 50.0]})
    fig = figures.top_breaching(frame, "services")
    assert list(fig.data[0].text) == ["50.0% of 4", "50.0% of 10"]
    note = fig.layout.title.subtitle.text
    assert "Bar: breached resolution SLAs" in note and "breached % of all its decided SLAs" in note
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickformat == ",d"


def test_change_rates_four_series_and_two_targets():
    frame = pd.DataFrame(
        {
            "month": [MAY, JUNE],
            "success_pct": [100.0, 80.0],
            "failure_pct": [0.0, 20.0],
            "emergency_pct": [0.0, 20.0],
            "unauthorized_pct": [0.0, 0.0],
            "implemented": [4, 5],
        }
    )
    fig = figures.change_rates_trend(frame, success_target_pct=95, failure_target_pct=10)
    assert [t.name for t in fig.data] == ["success rate", "change failure rate", "emergency %", "unauthorized %"]
    assert list(fig.data[0].y) == [100.0, 80.0]
    assert target_lines(fig) == {"target: success": 95.0, "target: failure": 10.0}
    assert_no_data(figures.change_rates_trend(pd.DataFrame()))


def test_incidents_caused_by_changes_stacked_by_priority():
    frame = pd.DataFrame({"month": [JUNE, JUNE], "priority": [1, 2], "incidents": [1, 3]})
    fig = figures.incidents_caused_by_changes(frame)
    assert [t.name for t in fig.data] == ["P1", "P2"]
    assert fig.layout.barmode == "stack"
    assert [list(t.y) for t in fig.data] == [[1], [3]]
    assert_no_data(figures.incidents_caused_by_changes(pd.DataFrame()))


def test_availability_bars_coloured_by_target_and_target_markers():
    frame = pd.DataFrame(
        {
            "service": ["vpn", "email"],
            "availability_pct": [99.8, 99.95],
            "target_pct": [99.9, 99.9],
            "downtime_minutes": [86.4, 21.6],
            "agreed_minutes": [43200.0, 43200.0],
        }
    )
    fig = figures.availability_vs_target(frame)
    bars, target = fig.data
    assert list(bars.x) == ["email", "vpn"]
    assert list(bars.marker.color) == [figures.STATUS_COLORS["green"], figures.STATUS_COLORS["red"]]
    assert target.name == "target" and list(target.y) == [99.9, 99.9]
    assert "agreed service hours" in fig.layout.yaxis.title.text
    assert_no_data(figures.availability_vs_target(pd.DataFrame()))


def test_downtime_stacked_by_service():
    frame = pd.DataFrame({"month": [JUNE, JUNE], "service": ["vpn", "email"], "downtime_minutes": [86.4, 43.2]})
    fig = figures.downtime_minutes(frame)
    assert [t.name for t in fig.data] == ["email", "vpn"]
    assert fig.layout.yaxis.title.text == "Downtime (minutes)"
    assert_no_data(figures.downtime_minutes(pd.DataFrame()))


def test_error_budget_overspent_is_red_and_zero_line_drawn():
    # vpn: budget 43.2 min, downtime 86.4 -> remaining -43.2, burn rate 2.0
    frame = pd.DataFrame(
        {
            "service": ["vpn", "email"],
            "budget_minutes": [43.2, 43.2],
            "budget_remaining_minutes": [-43.2, 43.2],
            "burn_rate": [2.0, 0.0],
        }
    )
    fig = figures.error_budget(frame)
    assert list(fig.data[0].y) == [43.2, -43.2]
    assert list(fig.data[0].marker.color) == [figures.STATUS_COLORS["green"], figures.STATUS_COLORS["red"]]
    assert [s.name for s in fig.layout.shapes] == ["budget exhausted"]
    assert list(fig.data[0].text) == ["burn 0.00x", "burn 2.00x"]
    assert_no_data(figures.error_budget(pd.DataFrame()))


def test_csat_nps_two_axes_and_targets_on_each():
    frame = pd.DataFrame(
        {
            "month": [MAY, JUNE],
            "csat_mean": [5.0, 3.5],
            "nps": [100.0, 25.0],
            "responses": [2, 4],
            "response_rate_pct": [100.0, 80.0],
        }
    )
    fig = figures.csat_nps_trend(frame, csat_target=4.2, nps_target=30)
    assert [t.name for t in fig.data] == ["CSAT (1-5, left axis)", "NPS (-100 to 100, right axis)"]
    assert fig.data[1].yaxis == "y2"
    assert target_lines(fig) == {"target: CSAT": 4.2, "target: NPS": 30.0}
    assert [s.yref for s in fig.layout.shapes] == ["y", "y2"]
    assert_no_data(figures.csat_nps_trend(pd.DataFrame()))


def test_csat_nps_secondary_axis_has_round_ticks_in_line_with_the_csat_grid():
    frame = pd.DataFrame(
        {"month": [JUNE], "csat_mean": [3.7], "nps": [-4.8], "responses": [4], "response_rate_pct": [80.0]}
    )
    fig = figures.csat_nps_trend(frame, csat_target=4.2, nps_target=30)
    left, right = fig.layout.yaxis, fig.layout.yaxis2
    # CSAT 1, 2, 3, 4, 5 and NPS -100, -50, 0, 50, 100: five ticks each over the full range, at the same heights
    assert (left.tickmode, left.tick0, left.dtick, tuple(left.range)) == ("linear", 1, 1, (1, 5))
    assert (right.tickmode, right.tick0, right.dtick, tuple(right.range)) == ("linear", -100, 50, (-100, 100))
    assert (right.overlaying, right.side) == ("y", "right")
    # each target line is drawn on its own axis, in its series' colour, labelled on its axis's side
    csat_line, nps_line = fig.layout.shapes
    assert (csat_line.yref, csat_line.line.color) == ("y", fig.data[0].line.color)
    assert (nps_line.yref, nps_line.line.color) == ("y2", fig.data[1].line.color)
    assert fig.data[0].line.color != fig.data[1].line.color
    labels = {a.text: a for a in fig.layout.annotations}
    assert labels["CSAT target 4.2"].xanchor == "left" and labels["NPS target 30"].xanchor == "right"


def test_csat_with_no_responses_is_no_data_not_zero():
    frame = pd.DataFrame(
        {"month": [JUNE], "csat_mean": [None], "nps": [None], "responses": [0], "response_rate_pct": [0.0]}
    )
    assert_no_data(figures.csat_nps_trend(frame))


def test_csat_by_sla_outcome_met_before_breached():
    frame = pd.DataFrame({"sla_outcome": ["breached", "met"], "csat_mean": [2.5, 4.5], "responses": [2, 2]})
    fig = figures.csat_by_sla_outcome(frame, csat_target=4.2)
    assert list(fig.data[0].x) == ["met", "breached"]
    assert list(fig.data[0].y) == [4.5, 2.5]
    assert target_lines(fig) == {"target: CSAT": 4.2}
    assert_no_data(figures.csat_by_sla_outcome(pd.DataFrame()))


def test_quarantine_one_bar_per_reason_coloured_by_table_with_whole_numbers():
    frame = pd.DataFrame(
        {
            "target_table": ["tickets", "changes", "tickets"],
            "reason": [
                "priority not in 1-4",
                "unknown close_code",
                "malformed line: missing columns (Expected 7 Found 3)",
            ],
            "rows": [2, 1, 1],
        }
    )
    fig = figures.quarantine_counts(frame)
    # the legend holds the table names only; every reason is a bar label, whole (wrapped, never cut)
    assert [t.name for t in fig.data] == ["changes", "tickets"]
    assert sum(sum(t.x) for t in fig.data) == 4
    labels = [y for t in fig.data for y in t.y]
    assert sorted(lab.replace("<br>", " ") for lab in labels) == sorted(frame["reason"])
    assert all(len(line) <= 40 for lab in labels for line in lab.split("<br>"))
    # 2 rows at most -> ticks 0, 1, 2: no 0.5 or 1.5
    assert (fig.layout.xaxis.tick0, fig.layout.xaxis.dtick, fig.layout.xaxis.tickformat) == (0, 1, ",d")
    assert fig.layout.xaxis.title.text == "Quarantined rows (count)"
    empty = figures.quarantine_counts(pd.DataFrame())
    assert [a.text for a in empty.layout.annotations] == ["no quarantined rows"]


def test_quarantine_beyond_the_limit_sums_the_rest_per_table():
    frame = pd.DataFrame(
        {"target_table": ["tickets"] * 4, "reason": [f"bad value {i}" for i in range(4)], "rows": [9, 5, 2, 1]}
    )
    fig = figures.quarantine_counts(frame, limit=2)
    # the two largest reasons, then the other two (2 + 1 = 3 rows) in one bar
    assert list(fig.data[0].y) == ["bad value 0", "bad value 1", "(2 other reasons)"]
    assert list(fig.data[0].x) == [9, 5, 3]


@pytest.mark.parametrize(
    ("largest", "step"), [(0, 1), (1, 1), (6, 1), (7, 2), (13, 5), (31, 10), (60, 10), (100, 20), (1234, 500)]
)
def test_count_axis_ticks_are_whole_numbers_at_most_about_six(largest, step):
    axis = figures.count_axis(largest)
    assert axis == {"tick0": 0, "dtick": step, "tickformat": ",d", "rangemode": "tozero"}
    assert largest / step <= 6


def test_incidents_caused_by_changes_ticks_whole_incidents():
    frame = pd.DataFrame({"month": [JUNE, JUNE], "priority": [1, 2], "incidents": [1, 1]})
    fig = figures.incidents_caused_by_changes(frame)
    assert (fig.layout.yaxis.dtick, fig.layout.yaxis.tickformat) == (1, ",d")


def test_wrong_way_ranked_with_driver_and_threshold_line():
    frame = pd.DataFrame(
        {
            "label": ["FCR", "SLA"],
            "previous": [75.0, 75.0],
            "latest": [50.0, 40.0],
            "delta": [-25.0, -35.0],
            "unit": ["%", "%"],
            "impact": [5.0, 11.67],
            "driver": ["vpn", "vpn"],
            "driver_delta": [-25.0, -40.0],
        }
    )
    fig = figures.wrong_way_kpis(frame)
    bar = fig.data[0]
    assert list(bar.y) == ["FCR", "SLA"]  # biggest impact drawn last = on top
    assert list(bar.text) == ["50.00 vs 75.00 · driver: vpn", "40.00 vs 75.00 · driver: vpn"]
    assert [s.name for s in fig.layout.shapes] == ["threshold"] and fig.layout.shapes[0].x0 == 1
    empty = figures.wrong_way_kpis(pd.DataFrame())
    assert "no KPI moved the wrong way" in empty.layout.annotations[0].text


def test_improvement_before_after_grouped_with_targets():
    frame = pd.DataFrame(
        {
            "initiative": ["Email on-call rota"],
            "service": ["email"],
            "kpi": ["mttr_business_hours_median"],
            "unit": ["business hours"],
            "before": [6.0],
            "after": [7.5],
            "target": [8.0],
            "improved": [False],
        }
    )
    fig = figures.improvement_before_after(frame)
    assert [t.name for t in fig.data] == ["before", "after", "target"]
    assert [fig.data[0].y[0], fig.data[1].y[0], fig.data[2].y[0]] == [6.0, 7.5, 8.0]
    assert fig.layout.barmode == "group"
    assert_no_data(figures.improvement_before_after(pd.DataFrame()))


def test_improvement_register_puts_each_unit_on_its_own_axis():
    frame = pd.DataFrame(
        {
            "initiative": ["Knowledge articles", "Change advisory board", "Email on-call rota"],
            "service": ["vpn", "erp", "email"],
            "kpi": ["fcr_pct", "change_success_pct", "mttr_business_hours_median"],
            "unit": ["%", "%", "business hours"],
            "before": [52.6, 100.0, 7.1],
            "after": [54.4, 100.0, 10.9],
            "target": [70.0, 95.0, 8.0],
            "improved": [True, False, False],
        }
    )
    fig = figures.improvement_before_after(frame)
    by_axis: dict[str, list[float]] = {}
    for trace in fig.data:
        by_axis.setdefault(trace.yaxis, []).extend(trace.y)
    # percentages on y, hours on y2: 10.9 h never shares a scale with 100 %
    assert by_axis == {"y": [52.6, 100.0, 54.4, 100.0, 70.0, 95.0], "y2": [7.1, 10.9, 8.0]}
    assert (fig.layout.yaxis.title.text, fig.layout.yaxis2.title.text) == ("%", "business hours")
    # the panels' widths follow their number of initiatives (2 and 1)
    assert (
        fig.layout.xaxis.domain[1] - fig.layout.xaxis.domain[0]
        > fig.layout.xaxis2.domain[1] - fig.layout.xaxis2.domain[0]
    )
    # one legend entry per series, above the plot (clear of the horizontal initiative labels below it)
    assert [t.name for t in fig.data if t.showlegend] == ["before", "after", "target"]
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y >= 1
    assert fig.layout.xaxis.tickangle == 0 and fig.layout.xaxis2.tickangle == 0


def test_backlog_marks_the_tickets_still_open_at_export():
    frame = pd.DataFrame(
        {
            "snapshot_date": [date(2026, 6, 29), date(2026, 6, 30)],
            "age_bucket": ["0-1", "0-1"],
            "open_tickets": [4, 7],
        }
    )
    still_open = pd.DataFrame({"snapshot_date": [date(2026, 6, 29), date(2026, 6, 30)], "open_tickets": [1, 3]})
    fig = figures.backlog_aging(frame, still_open, pd.Timestamp("2026-07-01 00:00", tz="UTC"))
    line = fig.data[-1]
    assert line.name == figures.STILL_OPEN_NAME and list(line.y) == [1, 3] and line.stackgroup is None
    note = fig.layout.title.subtitle.text.replace("<br>", " ")
    assert note.startswith("3 incidents still open at the export instant (01 Jul 2026 00:00 UTC)")
    assert "most recent weeks are incomplete" in note
    # nothing still open: no line and no note
    plain = figures.backlog_aging(frame, still_open.assign(open_tickets=0))
    assert [t.name for t in plain.data] == ["0-1 days"] and not plain.layout.title.subtitle.text


def test_notes_add_up_under_the_title_and_wrap():
    fig = figures.with_note(figures.with_note(go.Figure(), "first"), "second " + "word " * 30)
    lines = fig.layout.title.subtitle.text.split("<br>")
    assert lines[0] == "first" and len(lines) >= 3
    assert all(len(line) <= figures.NOTE_WIDTH for line in lines)


@pytest.mark.parametrize(
    "builder",
    [
        figures.sla_attainment_trend,
        figures.mttr_trend,
        figures.backlog_aging,
        figures.change_rates_trend,
        figures.incidents_caused_by_changes,
        figures.availability_vs_target,
        figures.downtime_minutes,
        figures.error_budget,
        figures.csat_nps_trend,
        figures.csat_by_sla_outcome,
        figures.improvement_before_after,
    ],
)
def test_every_chart_has_title_and_axis_titles_when_drawn(builder, small_frames):
    fig = builder(small_frames[builder.__name__])
    assert len(fig.data) > 0
    assert fig.layout.title.text
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert all(getattr(t, "hovertemplate", None) for t in fig.data)
    # the legend sits above the plot area, where no tick label (rotated months, long names) can reach it
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y >= 1


@pytest.fixture(scope="module")
def small_frames() -> dict[str, pd.DataFrame]:
    one_month = {"month": [JUNE]}
    return {
        "sla_attainment_trend": pd.DataFrame(
            {**one_month, "priority": [1], "met": [1], "breached": [0], "attainment_pct": [100.0]}
        ),
        "mttr_trend": pd.DataFrame(
            {**one_month, "median_hours": [1.0], "p90_hours": [2.0], "mean_hours": [1.5], "resolved": [2]}
        ),
        "backlog_aging": pd.DataFrame({"snapshot_date": [JUNE], "age_bucket": ["0-1"], "open_tickets": [1]}),
        "change_rates_trend": pd.DataFrame(
            {
                **one_month,
                "success_pct": [100.0],
                "failure_pct": [0.0],
                "emergency_pct": [0.0],
                "unauthorized_pct": [0.0],
                "implemented": [1],
            }
        ),
        "incidents_caused_by_changes": pd.DataFrame({**one_month, "priority": [1], "incidents": [1]}),
        "availability_vs_target": pd.DataFrame(
            {
                "service": ["a"],
                "availability_pct": [100.0],
                "target_pct": [99.9],
                "downtime_minutes": [0.0],
                "agreed_minutes": [10.0],
            }
        ),
        "downtime_minutes": pd.DataFrame({**one_month, "service": ["a"], "downtime_minutes": [1.0]}),
        "error_budget": pd.DataFrame(
            {"service": ["a"], "budget_minutes": [1.0], "budget_remaining_minutes": [1.0], "burn_rate": [0.0]}
        ),
        "csat_nps_trend": pd.DataFrame(
            {**one_month, "csat_mean": [4.0], "nps": [10.0], "responses": [1], "response_rate_pct": [100.0]}
        ),
        "csat_by_sla_outcome": pd.DataFrame({"sla_outcome": ["met"], "csat_mean": [4.0], "responses": [1]}),
        "improvement_before_after": pd.DataFrame(
            {
                "initiative": ["i"],
                "service": ["a"],
                "kpi": ["k"],
                "unit": ["%"],
                "before": [1.0],
                "after": [2.0],
                "target": [3.0],
                "improved": [True],
            }
        ),
    }


def test_long_kpi_labels_wrap_on_the_wrong_way_axis():
    frame = pd.DataFrame(
        {
            "label": ["Implemented changes linked to an incident or unplanned outage"],
            "previous": [0.0],
            "latest": [20.0],
            "delta": [20.0],
            "unit": ["%"],
            "impact": [4.0],
            "driver": [None],
            "driver_delta": [None],
        }
    )
    bar = figures.wrong_way_kpis(frame).data[0]
    assert bar.y == ("Implemented changes<br>linked to an incident or<br>unplanned outage",)
    assert bar.text == ("20.00 vs 0.00 · driver: n/a",)


def test_acknowledged_values_are_listed_with_who_and_why():
    frame = pd.DataFrame(
        {
            "acknowledged_at": [pd.Timestamp("2026-11-02 10:30", tz="UTC")],
            "check_name": ["raw_outages__started_at_before_ended_at"],
            "key": ["OUT9|4"],
            "reason": ["end time lost at the source"],
            "acknowledged_by": ["ops"],
        }
    )
    fig = figures.dq_acknowledgements(frame)
    cells = fig.data[0].cells.values
    assert [list(c) for c in cells] == [
        ["2026-11-02 10:30"],
        ["raw_outages__started_at_before_ended_at"],
        ["OUT9|4"],
        ["end time lost at the source"],
        ["ops"],
    ]
    assert figures.dq_acknowledgements(frame.iloc[0:0]).layout.annotations[0].text == "no acknowledged values"


def test_a_note_on_a_table_figure_reserves_no_legend_row():
    # A plotly Table has no legend (and no showlegend attribute): the top margin holds the title and note only.
    table = go.Figure(go.Table(header={"values": ["reason"]}, cells={"values": [["no service"]]}))
    fig = figures.with_note(table, "counted, not dropped")
    assert figures._legend_rows(fig) == 0
    assert fig.layout.margin.t == figures.TITLE_PX + figures.NOTE_FIRST_PX + 6
