"""Probe samples end to end: an uptime-monitor export loaded by the real loader (probes adapter) feeds the
availability marts. One load and one dbt build for the module.

Samples for vpn (24/7) on Mon 2 March 2026, one a minute (UTC):
- 10:00-10:02 up, 10:03 and 10:04 down, 10:05-10:10 up       -> outage 10:03-10:05 = 2 min
- 10:11 down, then nothing until 11:00 (a gap > 3 x the 60 s interval): the outage ends one interval after the
  last down sample, 10:12 -> 1 min; the 48 unknown minutes of the gap are not downtime (no evidence of an
  outage, so they stay in agreed time as available)
- 11:00-11:05 up
Downtime on 2 March = 3 min = 0.05 h; agreed 24 h -> availability (1440 - 3) / 1440.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from kpi_raw_rows import new_warehouse, query

from pipelines.ingest.loader import ingest_files
from pipelines.settings import Settings


def _samples() -> str:
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    down = {3, 4, 11}
    minutes = [*range(0, 12), *range(60, 66)]
    lines = ["service,checked_at,up"]
    for minute in minutes:
        at = (start + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"vpn,{at},{0 if minute in down else 1}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Path:
    work = tmp_path_factory.mktemp("probes")
    path = new_warehouse(work / "itsm.duckdb")
    export = work / "uptime_export.csv"
    export.write_text(_samples())
    with duckdb.connect(str(path)) as conn:
        [result] = ingest_files(conn, [export], Settings.from_env(warehouse_path=path))
    assert result.ok and result.adapter == "probes:samples"
    dbt(
        ["build", "--select", "+kpi_availability_monthly", "--indirect-selection", "cautious"],
        path,
        work,
        {"as_of": "2026-03-31 23:59:59+00"},
    )
    return path


def test_probe_outages_become_cleaned_outages(warehouse: Path) -> None:
    rows = query(warehouse, "select duration_hours, agreed_downtime_hours from marts.fct_outage order by started_at")
    # 10:03-10:05 (2 min) and 10:11-10:12 (1 min, closed one interval after the last down sample before the gap)
    assert [r["duration_hours"] for r in rows] == pytest.approx([2 / 60, 1 / 60])
    assert [r["agreed_downtime_hours"] for r in rows] == pytest.approx([2 / 60, 1 / 60])


def test_probe_gap_is_not_downtime(warehouse: Path) -> None:
    day = query(
        warehouse,
        "select agreed_hours, downtime_hours, outages, availability_pct from marts.kpi_availability_daily"
        " where service = 'vpn' and day = date '2026-03-02'",
    )[0]
    # 3 min down of 1440 agreed: without evidence of an outage, the 48-minute gap stays in agreed time as up
    assert day["agreed_hours"] == pytest.approx(24.0)
    assert day["downtime_hours"] == pytest.approx(0.05)
    assert day["outages"] == 2
    assert day["availability_pct"] == pytest.approx(100 * (1440 - 3) / 1440)
