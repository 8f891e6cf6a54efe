"""Queries and the static report on the hand-made warehouse (numbers in small_warehouse.py's docstring)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from small_warehouse import build_small_warehouse

from dashboards import queries
from dashboards.queries import Filters, open_warehouse
from dashboards.report import REPORT_NAME, write_report
from dashboards.views import SECTIONS, build_views

JUNE = date(2026, 6, 1)


@pytest.fixture(scope="module")
def small_wh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small_warehouse(tmp_path_factory.mktemp("dash") / "itsm.duckdb")


def tile_values(wh_path: Path, f: Filters) -> dict[str, tuple[float | None, str]]:
    with open_warehouse(wh_path) as wh:
        views = build_views(wh, f)
    return {t.kpi: (t.value, t.status) for t in views.tiles}


def test_tiles_match_hand_computation(small_wh):
    tiles = tile_values(small_wh, Filters())
    assert tiles["sla_resolution_attainment_pct"] == (pytest.approx(40.0), "red")  # 2 met / 5 decided
    assert tiles["mttr_business_hours_median"] == (pytest.approx(8.5), "amber")  # median{3, 5, 12, 20}
    assert tiles["availability_pct"] == (pytest.approx(99.85), "amber")  # (1440 - 2.16) / 1440
    assert tiles["change_success_pct"] == (pytest.approx(80.0), "red")  # 4 / 5
    assert tiles["csat_mean"] == (pytest.approx(3.5), "red")  # mean{5, 4, 2, 3}


def test_service_filter_changes_the_numbers(small_wh):
    tiles = tile_values(small_wh, Filters(services=("email",)))
    assert tiles["sla_resolution_attainment_pct"][0] == pytest.approx(50.0)  # T5 met, T6 breached
    assert tiles["mttr_business_hours_median"][0] == pytest.approx(7.5)  # median{3, 12}
    assert tiles["availability_pct"][0] == pytest.approx(99.9)  # (720 - 0.72) / 720
    assert tiles["csat_mean"][0] == pytest.approx(3.5)  # mean{5, 2}


def test_period_filter_selects_may(small_wh):
    tiles = tile_values(small_wh, Filters(start_month=date(2026, 5, 1), end_month=date(2026, 5, 1)))
    assert tiles["sla_resolution_attainment_pct"][0] == pytest.approx(75.0)
    assert tiles["mttr_business_hours_median"][0] == pytest.approx(5.0)


def test_priority_and_group_filters(small_wh):
    with open_warehouse(small_wh) as wh:
        p1 = queries.sla_attainment_monthly(wh, Filters(priorities=(1,)))
        g2 = queries.mttr_monthly(wh, Filters(groups=("G2",)))
    assert set(p1["priority"]) == {1} and p1["attainment_pct"].tolist() == [100.0, 100.0]
    # G2 (vpn) resolved: May {4, 6} -> 5; June {20, 5} -> 12.5
    assert g2["median_hours"].tolist() == [5.0, 12.5]


def test_dq_latest_result_per_check_and_blocking_banner(small_wh):
    with open_warehouse(small_wh) as wh:
        dq = queries.dq_latest_results(wh)
        quarantine = queries.quarantine_counts(wh)
    # tickets_priority_in_set failed in r1 but passed in r2 -> only the pass is current
    latest = dict(zip(dq["check_name"], dq["status"], strict=True))
    assert latest == {
        "outage_start_before_end": "failed",
        "tickets_priority_in_set": "passed",
        "ticket_freshness": "passed",
    }
    assert queries.blocking_failures(dq)["check_name"].tolist() == ["outage_start_before_end"]
    assert dict(zip(quarantine["target_table"], quarantine["rows"], strict=True)) == {"tickets": 2, "changes": 1}


def test_unclassified_tickets_are_worded_as_the_run_summary(small_wh):
    with open_warehouse(small_wh) as wh:
        frame = queries.unclassified_tickets(wh)
        views = build_views(wh, Filters())
    # reasons with tickets only; the same sentence `itsm run` prints
    line = "2 tickets matched no SLA policy (no SLA clock) (e.g. T8, T9)"
    assert frame.to_dict("records") == [{"reason": "no_sla_policy", "line": line, "tickets": 2}]
    assert list(views.figures["unclassified"].data[0].cells.values[1]) == [line]


def test_missing_mart_gives_no_data_not_an_error(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with open_warehouse(path) as wh:
        views = build_views(wh, Filters())
    assert all(t.value is None and t.status == "grey" for t in views.tiles)
    assert all(len(fig.data) == 0 for fid, fig in views.figures.items())
    assert any("fct_incident" in p for p in views.problems)


def test_unknown_filter_value_gives_empty_figures(small_wh):
    with open_warehouse(small_wh) as wh:
        views = build_views(wh, Filters(services=("no-such-service",)))
    assert len(views.figures["sla_attainment"].data) == 0
    assert views.figures["sla_attainment"].layout.annotations[0].text == "no data for this selection"


def test_report_file_is_self_contained_with_every_section(small_wh, tmp_path):
    result = write_report(small_wh, tmp_path / "reports")
    assert result.path == tmp_path / "reports" / REPORT_NAME
    text = result.path.read_text(encoding="utf-8")
    for _, heading, _ in SECTIONS:
        assert f">{heading}</h2>" in text
    # plotly.js inlined once, nothing fetched from a CDN or any http(s) script
    assert text.count("Plotly.newPlot") == sum(len(ids) for _, _, ids in SECTIONS)
    assert not re.search(r"<script[^>]+src=", text)
    assert 'data-kpi="sla_resolution_attainment_pct" data-value="40.000000"' in text
    assert 'id="dq-blocking-banner"' in text and "outage_start_before_end" in text
    assert "Restated since their close: May 2026 (3 of 12 KPIs, closed 2026-06-02)" in text
    # CSI-003 (email MTTR from June): before = May email {2, 10} -> 6.0 h, after = June {3, 12} -> 7.5 h
    assert "<td>CSI-003</td>" in text and "<td>6.0 h</td><td>7.5 h</td><td>not improved</td>" in text
    assert result.size_bytes < 15_000_000
    assert result.problems == []


def test_kpi_monthly_breakdown_levels_and_weights(small_wh):
    with open_warehouse(small_wh) as wh:
        overall, breakdown = queries.kpi_monthly(wh, Filters())
    june = pd.to_datetime(breakdown["month"]) == "2026-06-01"
    sla = breakdown[june & (breakdown["kpi"] == "sla_resolution_attainment_pct")]
    # vpn June: T7, T9 breached, T8 met -> 33.3 % of 3; email: 50 % of 2. Groups mirror services here.
    services = sla[sla["dimension"] == "service"].set_index("member")
    assert services["weight"].to_dict() == {"email": 2.0, "vpn": 3.0}
    assert services.loc["vpn", "value"] == pytest.approx(100 / 3)
    assert set(sla[sla["dimension"] == "assignment_group"]["member"]) == {"G1", "G2"}
    # categories: network = T5 met, T6 breached -> 50 %; access = 33.3 %
    categories = sla[sla["dimension"] == "category"].set_index("member")["value"].to_dict()
    assert categories == pytest.approx({"network": 50.0, "access": 100 / 3})
    overall_june = overall[(pd.to_datetime(overall["month"]) == "2026-06-01")].set_index("kpi")["value"]
    assert overall_june["sla_resolution_attainment_pct"] == pytest.approx(40.0)
    assert set(queries.by_service(breakdown).columns) == {"service", "kpi", "month", "value", "weight"}


def test_wrong_way_view_names_the_driver(small_wh):
    with open_warehouse(small_wh) as wh:
        views = build_views(wh, Filters())
    ranked = views.wrong_way.set_index("kpi")
    # SLA 75 -> 40 (impact 35 / 3); vpn's within-effect 0.6 * (33.3 - 100) = -40 ties with G2's and access's
    # (the same tickets); on a tie the service is named.
    assert views.wrong_way["kpi"].iloc[0] == "sla_resolution_attainment_pct"
    assert ranked.loc["sla_resolution_attainment_pct", "driver"] == "service vpn"
    assert ranked.loc["sla_resolution_attainment_pct", "impact"] == pytest.approx(35 / 3)
    assert ranked.loc["sla_resolution_attainment_pct", "driver_delta"] == pytest.approx(-40.0)


def test_itsm_report_command_applies_filters_and_prints_the_path(small_wh, tmp_path):
    env = {**os.environ, "ITSM_WAREHOUSE": str(small_wh), "ITSM_OUTPUT_DIR": str(tmp_path)}
    itsm = str(Path(sys.executable).with_name("itsm"))
    proc = subprocess.run(
        [itsm, "report", "--service", "email", "--from", "2026-06", "--to", "2026-06"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "reports" / REPORT_NAME
    assert str(path) in proc.stdout
    text = path.read_text(encoding="utf-8")
    assert "period 2026-06-01 to 2026-06-01; services: email" in text
    # email, June: T5 met, T6 breached -> 50 %
    assert 'data-kpi="sla_resolution_attainment_pct" data-value="50.000000"' in text


def test_itsm_report_without_warehouse_fails_cleanly(tmp_path):
    env = {**os.environ, "ITSM_WAREHOUSE": str(tmp_path / "none.duckdb"), "ITSM_OUTPUT_DIR": str(tmp_path)}
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("itsm")), "report"], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert "No warehouse at" in proc.stderr


def test_about_strip_export_instant_period_and_open_incidents(small_wh, tmp_path):
    with open_warehouse(small_wh) as wh:
        views = build_views(wh, Filters())
    # the latest exported_at of a loaded file (the rejected file's later instant does not count)
    assert views.extent.export_instant == pd.Timestamp("2026-07-01 00:00", tz="UTC")
    assert dict(views.about()) == {
        "Period covered": "May 2026 to Jun 2026 (complete months)",
        "Export instant": "2026-07-01 00:00 UTC",
        "Incidents open at export": "1",  # T9
        "Partial months": "none",
    }
    text = write_report(small_wh, tmp_path).path.read_text(encoding="utf-8")
    assert '<div class="about" id="about-data">' in text and "2026-07-01 00:00 UTC" in text


def test_dq_table_in_the_report_shows_units(small_wh, tmp_path):
    text = write_report(small_wh, tmp_path).path.read_text(encoding="utf-8")
    table = text[text.index('id="dq-checks"') :]
    # outage_start_before_end: 1 of 8 rows unexpected = 12.5 %; ticket_freshness: 3 hours old
    assert '<td class="observed">12.50% of rows</td>' in table
    assert '<td class="observed">3.0 h</td>' in table
    assert "ticket<wbr>_freshness" not in table and "ticket_<wbr>freshness" in table
    assert "3 checks, latest result each: 1 failed or errored (1 blocking, 0 warning)." in text
    assert "3 rows held in raw.quarantine" in text


def test_backlog_line_of_incidents_still_open_at_export(small_wh):
    with open_warehouse(small_wh) as wh:
        still_open = queries.still_open_daily(wh, Filters())
        vpn_p1 = queries.still_open_daily(wh, Filters(priorities=(1,)))
    # T9 (vpn, P3, opened 6 June) is the only incident open at export: in both backlog days
    assert still_open["open_tickets"].tolist() == [1, 1]
    assert [str(d)[:10] for d in still_open["snapshot_date"]] == ["2026-06-29", "2026-06-30"]
    assert vpn_p1["open_tickets"].sum() == 0


@pytest.fixture
def exported_mid_june(small_wh, tmp_path) -> Path:
    """The small warehouse with its files exported on 20 June at noon: June is a partial month."""
    path = tmp_path / "mid_june.duckdb"
    path.write_bytes(small_wh.read_bytes())
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "update raw.load_log set exported_at = timestamptz '2026-06-20 12:00:00+00' where status = 'loaded'"
        )
    return path


def test_partial_month_left_out_of_monthly_figures_tiles_and_comparisons(exported_mid_june):
    with open_warehouse(exported_mid_june) as wh:
        views = build_views(wh, Filters())
    assert views.extent.partial_months() == [JUNE]
    # tiles fall back to May, the latest complete month: SLA 3 met of 4 = 75 %, MTTR median{2, 10, 4, 6} = 5 h
    tiles = {t.kpi: t for t in views.tiles}
    assert tiles["sla_resolution_attainment_pct"].value == pytest.approx(75.0)
    assert tiles["mttr_business_hours_median"].value == pytest.approx(5.0)
    assert all(t.month in (None, date(2026, 5, 1)) for t in views.tiles)
    # no month before May: nothing to compare, so nothing moved the wrong way
    assert len(views.wrong_way) == 0
    sla = views.figures["sla_attainment"]
    assert {str(x)[:7] for t in sla.data for x in t.x} == {"2026-05"}
    note = "Complete months only: Jun 2026 left out (partial at the export instant)"
    for fid in ("sla_attainment", "mttr", "change_rates", "csat_nps", "top_services", "availability"):
        assert note in views.figures[fid].layout.title.subtitle.text, fid
    # May's only breach: T2 (email)
    top = views.figures["top_services"].data[0]
    assert list(top.y) == ["email"] and list(top.x) == [1]
    # the daily backlog is not cut: its days run to the export
    assert len(views.figures["backlog"].data) > 0
    about = dict(views.about())
    assert about["Period covered"] == "May 2026 to May 2026 (complete months)"
    assert about["Partial months"].startswith("Jun 2026 (not complete at export): left out of monthly charts")


def test_tiles_worse_exactly_when_listed_as_moved_the_wrong_way(small_wh):
    with open_warehouse(small_wh) as wh:
        views = build_views(wh, Filters())
    trend = {t.kpi: t.trend for t in views.tiles}
    # May -> June against amber margins: SLA 75 -> 40 (35 > 3), MTTR 5 -> 8.5 h (3.5 > 2), change success
    # 100 -> 80 (20 > 3), CSAT 5.0 -> 3.5 (1.5 > 0.3) are worse; availability 100 -> 99.85 (0.15 <= 0.4) is steady
    assert trend == {
        "sla_resolution_attainment_pct": "worse",
        "mttr_business_hours_median": "worse",
        "availability_pct": "steady",
        "change_success_pct": "worse",
        "csat_mean": "worse",
    }
    listed = set(views.wrong_way["kpi"])
    assert {k for k, word in trend.items() if word == "worse"} == listed & set(trend)


def test_two_writers_at_once_never_break_each_other(small_wh, tmp_path):
    """A run's report asset and `itsm report` may write the same report at the same moment: each writes a
    temporary file of its own and renames it into place, so both succeed and no temporary file is left."""
    from concurrent.futures import ThreadPoolExecutor

    out = tmp_path / "reports"
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: write_report(small_wh, out), range(4)))
    assert all(r.path == out / "itsm_report.html" for r in results)
    assert "</html>" in (out / "itsm_report.html").read_text(encoding="utf-8")
    assert [p.name for p in out.iterdir() if p.is_file()] == ["itsm_report.html"]
