"""The whole pipeline on demo data, as `make demo` runs it: what a service manager and an auditor rely on."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

from pipelines.settings import REFERENCE_DIR
from tests.conftest import run_itsm

DEMO_MONTHS = 12  # the demo window is 2025-11 .. 2026-10


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.sql(sql).fetchall()


def test_every_seeded_defect_is_in_quarantine_and_reads_reconcile(demo_warehouse: Path):
    reasons = [r[0] for r in query(demo_warehouse, "select reason from raw.quarantine")]
    assert len(reasons) == 5
    for fragment in ("bad timestamp", "duplicate row", "required value missing", "not in allowed set", "malformed"):
        assert sum(fragment in r for r in reasons) == 1, fragment
    unbalanced = query(
        demo_warehouse,
        "select source_file from raw.load_log where rows_read <> rows_loaded + rows_quarantined",
    )
    assert unbalanced == []


def test_scorecard_has_a_row_for_every_demo_service_and_month(demo_warehouse: Path):
    with (REFERENCE_DIR / "services.csv").open() as f:
        # 'unassigned' holds work that names no service: no demo ticket or change, only a stray survey
        services = {row["service"] for row in csv.DictReader(f)} - {"unassigned"}
    # months of the demo window: a run whose export instant is later also reports the changes planned after it
    rows = query(
        demo_warehouse,
        "select service, count(distinct month) filter (where month < date '2026-11-01')"
        " from marts.kpi_service_monthly group by service",
    )
    months_by_service = dict(rows)
    for service in services:
        assert months_by_service.get(service) == DEMO_MONTHS, service
    # besides them only 'unassigned' (the demo's survey of an unknown ticket): no empty reference service rows
    assert set(months_by_service) <= services | {"unassigned"}


def test_report_is_written_and_self_contained(demo_env: dict[str, str], demo_warehouse: Path):
    report = Path(demo_env["ITSM_OUTPUT_DIR"]) / "reports" / "itsm_report.html"
    html = report.read_text()
    assert "<html" in html.lower()
    # plotly.js is embedded and no script is fetched from the network: the file opens with no internet.
    assert re.search(r"<script[^>]*\ssrc=[\"']https?:", html) is None
    assert "plotly.js v" in html


def test_running_again_on_the_same_inbox_adds_nothing(demo_env: dict[str, str], demo_warehouse: Path):
    counted = """select (select count(*) from raw.tickets), (select count(*) from raw.ticket_events),
                        (select count(*) from raw.quarantine), (select count(*) from marts.fct_incident),
                        (select sum(resolution_breached::int) from marts.fct_incident)"""
    before = query(demo_warehouse, counted)
    run_itsm(["run"], demo_env)
    assert query(demo_warehouse, counted) == before
