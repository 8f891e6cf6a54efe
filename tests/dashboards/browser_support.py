"""Shared by the browser tests: the headless Chromium, page-error capture, and the tile values from DuckDB."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from dashboards.status import TILE_KPIS, format_value

CHROMIUM = Path(os.environ.get("ITSM_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (run `make browser`)")

# What each tile must show, computed straight from the marts for the latest month of each source.
# What each tile must show, computed straight from the marts: the latest month that has data for the KPI.
TILE_SQL = {
    "sla_resolution_attainment_pct": """
        select 100.0 * sum(resolution_sla_met) / sum(resolution_sla_met + resolution_sla_breached)
        from marts.kpi_incident_monthly
        where period_start = (select max(period_start) from marts.kpi_incident_monthly
                              where resolution_sla_met + resolution_sla_breached > 0 {and_service}) {and_service}""",
    "mttr_business_hours_median": """
        select median(resolve_business_hours) from marts.fct_incident
        where is_resolved and resolve_business_hours is not null and date_trunc('month', opened_at) = (
            select max(date_trunc('month', opened_at)) from marts.fct_incident
            where is_resolved and resolve_business_hours is not null {and_service}) {and_service}""",
    "availability_pct": """
        select 100.0 * (sum(agreed_hours) - sum(downtime_hours)) / sum(agreed_hours)
        from marts.kpi_availability_monthly
        where month = (select max(month) from marts.kpi_availability_monthly where agreed_hours > 0 {and_service})
          {and_service}""",
    "change_success_pct": """
        select 100.0 * sum(changes_successful) / sum(changes_with_outcome) from marts.kpi_change_monthly
        where month = (select max(month) from marts.kpi_change_monthly where changes_with_outcome > 0 {and_service})
          {and_service}""",
    "csat_mean": """
        select sum(csat_score_sum) / sum(csat_responses) from marts.kpi_satisfaction_monthly
        where month = (select max(month) from marts.kpi_satisfaction_monthly where csat_responses > 0 {and_service})
          {and_service}""",
}
UNITS = {
    "sla_resolution_attainment_pct": "%",
    "mttr_business_hours_median": "business hours",
    "availability_pct": "%",
    "change_success_pct": "%",
    "csat_mean": "score 1-5",
}


def expected_tiles(warehouse: Path, service: str | None = None) -> dict[str, float]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {
            kpi: conn.execute(sql.format(and_service=f"and service = '{service}'" if service else "")).fetchone()[0]
            for kpi, sql in TILE_SQL.items()
        }


class PageErrors:
    """JavaScript exceptions and console errors seen by a page."""

    def __init__(self, page) -> None:
        self.messages: list[str] = []
        page.on("pageerror", lambda err: self.messages.append(f"pageerror: {err}"))
        page.on("console", lambda msg: self.messages.append(f"console: {msg.text}") if msg.type == "error" else None)


def assert_tiles_show(page, expected: dict[str, float]) -> None:
    assert set(expected) == set(TILE_KPIS)
    for kpi, value in expected.items():
        tile = page.locator(f'[data-kpi="{kpi}"]')
        assert float(tile.get_attribute("data-value")) == pytest.approx(value, abs=1e-6), kpi
        assert tile.locator(".value").inner_text() == format_value(value, UNITS[kpi]), kpi
