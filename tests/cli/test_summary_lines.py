"""The closing summary's parts on small hand-built inputs (pipelines/summary.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from pipelines.summary import (
    CheckOutcome,
    KpiScale,
    check_lines,
    compare_kpis,
    kpi_lines,
    loads_after,
    provider_lines,
)

OCT = date(2026, 10, 1)
NOV = date(2026, 11, 1)
SCALES = {
    "mttr_business_hours_median": KpiScale("business hours", 2.0),
    "fcr_pct": KpiScale("%", 5.0),
    "nps": KpiScale("NPS points", 10.0),
}


def test_kpis_are_ranked_by_amber_margins_moved():
    before = {
        ("mttr_business_hours_median", "erp", OCT): 6.0,
        ("fcr_pct", "erp", OCT): 70.0,
        ("nps", "erp", OCT): 30.0,
        ("fcr_pct", "vpn", OCT): 80.0,
        ("fcr_pct", "crm", OCT): None,
    }
    after = {
        ("mttr_business_hours_median", "erp", OCT): 9.0,  # +3.0 business hours / margin 2 = 1.5 margins
        ("fcr_pct", "erp", OCT): 65.0,  # -5 points / margin 5 = 1.0 margin
        ("nps", "erp", OCT): 30.0,  # unchanged
        ("fcr_pct", "vpn", OCT): 81.0,  # +1 / 5 = 0.2 margins
        ("fcr_pct", "crm", OCT): 50.0,  # no value before: new, not a move
        ("nps", "erp", NOV): 12.0,  # a month not seen before: new
    }
    comparison = compare_kpis(before, after, SCALES, limit=2)
    assert (comparison.compared, comparison.changed, comparison.added) == (4, 3, 2)
    assert [(m.kpi, m.service) for m in comparison.moves] == [
        ("mttr_business_hours_median", "erp"),
        ("fcr_pct", "erp"),
    ]
    assert comparison.moves[0].bands == 1.5 and comparison.moves[1].bands == 1.0
    lines = kpi_lines(comparison)
    assert lines[0] == (
        "KPIs since the last run: 3 of 4 headline values changed, 2 new (new months or services); moved most:"
    )
    assert (
        lines[1] == "  mttr_business_hours_median erp 2026-10: 6.00 -> 9.00 business hours (+3.00, 1.5 amber margins)"
    )
    assert lines[2] == "  fcr_pct erp 2026-10: 70.00 -> 65.00% (-5.00, 1.0 amber margins)"


def test_first_build_has_nothing_to_compare():
    assert kpi_lines(None) == ["KPIs: first build, no earlier values to compare"]


def test_failed_checks_are_listed_by_severity_blocking_first():
    outcome = CheckOutcome(
        total=40,
        failed={"warning": [f"w{i:02d}" for i in range(12)], "blocking": ["raw_tickets__priority__in_set"]},
        not_applicable=3,
    )
    assert check_lines(outcome) == [
        "checks: 1 of 40 failed, 12 warnings; 3 not applicable yet",
        "  blocking: raw_tickets__priority__in_set",
        "  warning: w00, w01, w02, w03, w04, w05, w06, w07, w08, w09 and 2 more",
    ]
    assert check_lines(CheckOutcome(total=7, failed={})) == ["checks: none of 7 failed"]
    # a seeded defect shown as a warning: nothing failed
    assert check_lines(CheckOutcome(total=9, failed={"warning": ["raw_quarantine__rejected_rows"]})) == [
        "checks: none of 9 failed, 1 warning",
        "  warning: raw_quarantine__rejected_rows",
    ]


def test_run_loads_are_counted_from_the_load_log(tmp_path: Path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("create schema raw")
    conn.execute(
        """create table raw.load_log as select * from (values
             (1, '/in/old.csv', 'loaded', 0, null),
             (2, '/in/a.csv', 'loaded', 2, null),
             (3, '/in/b.csv', 'rejected', 0, 'b.csv: unknown format'),
             (4, '/in/c.csv', 'loaded', 3, null)
           ) as t(load_id, source_file, status, rows_quarantined, error)"""
    )
    # the run saw 5 inbox files after load 1: a.csv and c.csv loaded, b.csv rejected, 2 skipped (loaded before)
    counts = loads_after(conn, 1, files_seen=5)
    conn.close()
    assert (counts.loaded, counts.skipped, counts.rejected, counts.rows_quarantined) == (2, 2, 1, 5)
    assert counts.rejected_files == (("b.csv", "b.csv: unknown format"),)


def test_summary_line_providers_are_printed_and_a_failing_one_is_named():
    def unclassified_tickets(conn: duckdb.DuckDBPyConnection) -> list[str]:
        n = conn.execute("select count(*) from (values (1), (2)) as t(x)").fetchone()[0]
        return [f"{n} tickets matched no SLA policy"]

    def not_built_yet(conn: duckdb.DuckDBPyConnection) -> list[str]:
        return [str(conn.execute("select count(*) from marts.no_such_mart").fetchone()[0])]

    conn = duckdb.connect()
    lines = provider_lines(conn, [unclassified_tickets, not_built_yet])
    conn.close()
    assert lines[0] == "2 tickets matched no SLA policy"
    assert lines[1].startswith("(not_built_yet not available: Catalog Error")
