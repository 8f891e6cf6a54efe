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
    assert [t.name for t in fig.data] == ["CSAT (1-5)", "NPS"]
    assert fig.data[1].yaxis == "y2"
    assert target_lines(fig) == {"target: CSAT": 4.2, "target: NPS": 30.0}
    assert [s.yref for s in fig.layout.shapes] == ["y", "y2"]
    assert_no_data(figures.csat_nps_trend(pd.DataFrame()))


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


def test_dq_table_lists_failures_first():
    frame = pd.DataFrame(
        {
            "check_name": ["fresh", "dates"],
            "asset": ["raw.tickets", "raw.outages"],
            "severity": ["warning", "blocking"],
            "status": ["passed", "failed"],
            "failing_row_count": [0, 1],
            "observed_value": [3.0, None],
            "checked_at": pd.to_datetime(["2026-07-02 08:00", "2026-07-02 08:00"], utc=True),
        }
    )
    fig = figures.dq_check_table(frame)
    cells = fig.data[0].cells.values
    assert list(cells[0]) == ["FAILED", "PASSED"]
    assert list(cells[1]) == ["dates", "fresh"]
    assert list(cells[5]) == ["", "3"]
    assert fig.data[0].cells.fill.color[0][0] == figures.STATUS_FILL["blocking"]
    empty = figures.dq_check_table(pd.DataFrame())
    assert [a.text for a in empty.layout.annotations] == ["no data-quality results recorded"]


def test_quarantine_counts_one_trace_per_reason():
    frame = pd.DataFrame(
        {
            "target_table": ["tickets", "changes"],
            "reason": ["priority not in 1-4", "unknown close_code"],
            "rows": [2, 1],
        }
    )
    fig = figures.quarantine_counts(frame)
    assert sorted(t.name for t in fig.data) == ["priority not in 1-4", "unknown close_code"]
    assert sum(sum(t.x) for t in fig.data) == 3
    assert fig.layout.xaxis.title.text == "Quarantined rows (count)"
    empty = figures.quarantine_counts(pd.DataFrame())
    assert [a.text for a in empty.layout.annotations] == ["no quarantined rows"]


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
