"""End to end on real exports: each subset is loaded with its shipped mapping file (`itsm ingest --mapping
--exported-at`), `itsm run` (real Dagster, dbt and checks) exits 0, and the marts' KPIs equal the figures
computed straight from the source file with DuckDB (tests/real_data/sources.py says how)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_itsm
from tests.real_data import sources

pytestmark = pytest.mark.slow


def run_pipeline(root: Path, export: sources.Export) -> Path:
    """A fresh pipeline (warehouse, empty inbox, outputs, Dagster instance) fed with `export`, then `itsm run`."""
    (root / "dagster_home").mkdir(parents=True)
    (root / "inbox").mkdir()
    env = {
        **os.environ,
        "ITSM_WAREHOUSE": str(root / "warehouse" / "itsm.duckdb"),
        "ITSM_INBOX": str(root / "inbox"),
        "ITSM_OUTPUT_DIR": str(root / "build"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for path, mapping in export.files:
        sources.existing(path)
        run_itsm(
            [
                "ingest",
                "--quiet",
                "--mapping",
                str(mapping),
                "--exported-at",
                export.exported_at.isoformat(),
                str(path),
            ],
            env,
        )
    proc = run_itsm(["run"], env, check=False)
    assert proc.returncode == 0, f"itsm run exited {proc.returncode}:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    return Path(env["ITSM_WAREHOUSE"])


def mart_kpis(warehouse: Path) -> dict[str, object]:
    """The same KPIs as sources.kpis, read from marts.fct_incident."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        count, resolved, reopened, fcr = conn.execute(
            """SELECT count(*), count(*) FILTER (WHERE is_resolved),
                      count(*) FILTER (WHERE is_resolved AND reopens > 0),
                      count(*) FILTER (WHERE is_resolved AND is_first_contact_resolution)
               FROM marts.fct_incident"""
        ).fetchone()
        medians = conn.execute(
            """SELECT priority, round(median(resolve_calendar_hours), 6) FROM marts.fct_incident
               WHERE is_resolved GROUP BY priority ORDER BY priority"""
        ).fetchall()
    return {
        "tickets": count,
        "resolved": resolved,
        "median_mttr_hours_by_priority": dict(medians),
        "reopen_share": round(reopened / resolved, 6),
        "fcr_share": round(fcr / resolved, 6),
    }


@pytest.mark.parametrize(
    ("export", "cases"),
    [
        pytest.param(sources.BPIC2013, sources.bpic2013_cases, id="bpic2013_volvo"),
        pytest.param(sources.BPIC2014, sources.bpic2014_cases, id="bpic2014_rabobank"),
        pytest.param(sources.HELPDESK, sources.helpdesk_cases, id="helpdesk_italian_sw"),
    ],
)
def test_incident_kpis_equal_a_direct_computation_on_the_source(tmp_path, source, export, cases):
    warehouse = run_pipeline(tmp_path, export)
    expected = sources.kpis(source, cases(source))
    actual = mart_kpis(warehouse)
    assert actual["tickets"] == expected["tickets"]
    assert actual["resolved"] == expected["resolved"]
    assert actual["median_mttr_hours_by_priority"] == expected["median_mttr_hours_by_priority"]
    assert actual["reopen_share"] == expected["reopen_share"]
    assert actual["fcr_share"] == expected["fcr_share"]


def test_github_availability_per_month_equals_the_union_of_its_downtime_windows(tmp_path, source):
    warehouse = run_pipeline(tmp_path, sources.GITHUB)
    path = sources.existing(sources.GITHUB.files[0][0])
    # Downtime = the union of every window with an impact (impact 'none' is a 0 % degradation), overlaps
    # merged, cut at month boundaries (UTC); no approved change names a maintenance window, so it counts too.
    # Agreed time is 24 x 7: a month's hours.
    expected = source.execute(
        f"""
        WITH w AS (
            SELECT CAST(downtime_start AS TIMESTAMPTZ) AS s, CAST(downtime_end AS TIMESTAMPTZ) AS e
            FROM read_csv({path}, all_varchar=true) WHERE impact <> 'none' AND downtime_end > downtime_start
        ),
        ordered AS (
            SELECT s, e, max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
            FROM w
        ),
        grouped AS (
            SELECT s, e, sum(CASE WHEN reach >= s THEN 0 ELSE 1 END) OVER (ORDER BY s, e) AS g FROM ordered
        ),
        merged AS (SELECT min(s) AS s, max(e) AS e FROM grouped GROUP BY g),
        months AS (
            SELECT m AS month_start, m + INTERVAL 1 MONTH AS month_end
            FROM range(TIMESTAMPTZ '2022-03-01 00:00:00+00', TIMESTAMPTZ '2026-09-01 00:00:00+00', INTERVAL 1 MONTH)
                AS t(m)
        )
        SELECT CAST(month_start AS DATE) AS month,
               round(coalesce(sum(epoch(least(e, month_end)) - epoch(greatest(s, month_start))), 0) / 3600, 6)
                   AS downtime_hours,
               round(100 * (1 - coalesce(sum(epoch(least(e, month_end)) - epoch(greatest(s, month_start))), 0)
                   / (epoch(month_end) - epoch(month_start))), 6) AS availability_pct
        FROM months LEFT JOIN merged ON s < month_end AND e > month_start
        GROUP BY month_start, month_end ORDER BY month"""
    ).fetchall()
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        actual = conn.execute(
            """SELECT CAST(month AS DATE), round(downtime_hours, 6), round(availability_pct, 6)
               FROM marts.kpi_availability_monthly WHERE service = 'github' AND NOT is_partial_month ORDER BY 1"""
        ).fetchall()
    full_months = {row[0] for row in actual}
    assert len(full_months) >= 50  # 2022-04 .. 2026-07 at least
    assert actual == [row for row in expected if row[0] in full_months]
