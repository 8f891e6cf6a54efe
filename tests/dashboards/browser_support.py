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
# A developer without Chromium skips these; CI (CI=true, after `make browser`) never does: there they fail instead.
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"), reason=f"no Chromium at {CHROMIUM} (run `make browser`)"
)

# What each tile must show, computed straight from the marts: the latest complete month that has data for the KPI
# (a month is complete when the export instant, the latest exported_at of a loaded file, is at or after its end).
EXPORT_MONTH = """coalesce((select cast(date_trunc('month', max(exported_at)) as date) from raw.load_log
                             where status = 'loaded'), date '9999-12-31')"""
TILE_SQL = {
    "sla_resolution_attainment_pct": f"""
        select 100.0 * sum(resolution_sla_met) / sum(resolution_sla_met + resolution_sla_breached)
        from marts.kpi_incident_monthly
        where period_start = (select max(period_start) from marts.kpi_incident_monthly
                              where resolution_sla_met + resolution_sla_breached > 0
                                and period_start < {EXPORT_MONTH} {{and_service}}) {{and_service}}""",
    "mttr_business_hours_median": f"""
        select median(resolve_business_hours) from marts.fct_incident
        where is_resolved and resolve_business_hours is not null and date_trunc('month', opened_at) = (
            select max(date_trunc('month', opened_at)) from marts.fct_incident
            where is_resolved and resolve_business_hours is not null
              and date_trunc('month', opened_at) < {EXPORT_MONTH} {{and_service}}) {{and_service}}""",
    "availability_pct": f"""
        select 100.0 * (sum(agreed_hours) - sum(downtime_hours)) / sum(agreed_hours)
        from marts.kpi_availability_monthly
        where month = (select max(month) from marts.kpi_availability_monthly
                       where agreed_hours > 0 and month < {EXPORT_MONTH} {{and_service}})
          {{and_service}}""",
    "change_success_pct": f"""
        select 100.0 * sum(changes_successful) / sum(changes_with_outcome) from marts.kpi_change_monthly
        where month = (select max(month) from marts.kpi_change_monthly
                       where changes_with_outcome > 0 and month < {EXPORT_MONTH} {{and_service}})
          {{and_service}}""",
    "csat_mean": f"""
        select sum(csat_score_sum) / sum(csat_responses) from marts.kpi_satisfaction_monthly
        where month = (select max(month) from marts.kpi_satisfaction_monthly
                       where csat_responses > 0 and month < {EXPORT_MONTH} {{and_service}})
          {{and_service}}""",
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


# Measured in the rendered page: a data-quality or "about" cell whose content is wider than the cell is cut; a
# legend must lie inside its figure, show every entry whole, and cover no tick label, title, note or bar label.
LAYOUT_PROBLEMS_JS = """
() => {
  const problems = [];
  const overlap = (a, b) =>
    a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const inside = (a, b) =>
    a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  for (const cell of document.querySelectorAll('#dq-checks th, #dq-checks td, #about-data div')) {
    if (cell.scrollWidth > cell.clientWidth) {
      problems.push(`clipped cell "${cell.innerText}" (${cell.scrollWidth} > ${cell.clientWidth} px)`);
    }
  }
  for (const box of document.querySelectorAll('.dq-scroll, #dq-checks .dash-spreadsheet-container')) {
    if (box.scrollWidth > box.clientWidth) problems.push(`data-quality table wider than its box`);
  }
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const id = plot.id || plot.parentElement.id;
    const legend = plot.querySelector('g.legend');
    if (!legend) continue;
    const box = legend.getBoundingClientRect();
    if (!inside(box, plot.querySelector('.main-svg').getBoundingClientRect())) problems.push(`${id}: legend cut`);
    for (const item of legend.querySelectorAll('g.traces')) {
      if (!inside(item.getBoundingClientRect(), box)) problems.push(`${id}: legend entry cut: ${item.textContent}`);
    }
    const texts = '.xtick text, .ytick text, .gtitle, .gtitle-subtitle, .xtitle, .ytitle, .annotation-text, .bartext';
    for (const t of plot.querySelectorAll(texts)) {
      if (overlap(t.getBoundingClientRect(), box)) problems.push(`${id}: legend covers "${t.textContent}"`);
    }
  }
  return problems;
}
"""


def layout_problems(page) -> list[str]:
    """Clipped table cells and legends that are cut or cover text, as measured in the rendered page."""
    return page.evaluate(LAYOUT_PROBLEMS_JS)
