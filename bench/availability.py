"""Availability benchmark: the availability marts on 100 services x 3 years x 1,000,000 intervals.

    .venv/bin/python bench/availability.py                 # 1,000,000 intervals
    .venv/bin/python bench/availability.py --rows 100000

Writes straight into raw.outages / raw.changes of a fresh DuckDB file (generation is not what is measured):
- 100 services: the 8 reference services (4 of them on a service-hours calendar, so the business clock is
  exercised) plus 92 unknown ones (24/7, default target);
- 2024-01-01 .. 2026-12-31; about 10,000 intervals per service, log-normal durations (median ~20 min, a tail of
  multi-day ones crossing midnight and month ends), so many overlap and get merged;
- the mix: 55 % unplanned (half of them tagged PRB-, the shape the probe adapter writes), 25 % degradations at
  10-60 % impact, 20 % planned windows naming a change, most approved, some overrunning the approved window.
Then runs `dbt build --select +kpi_availability_monthly` (models and their tests) and prints the wall time and
the CPU time of the build (the dbt process), the time of each availability model from run_results.json and their
sum (target: under 30 s), and the number and time of the availability tests. int_outage_pieces,
int_availability_service_days and int_availability_downtime_days are ephemeral (CTEs of their readers): they
have no time of their own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AVAILABILITY_MODELS = (
    "int_availability_as_of",
    "int_outage_intervals",
    "int_outage_clusters",  # int_outage_pieces is ephemeral: a CTE inside int_outage_clusters and int_outage_segments
    "int_outage_segments",
    # int_availability_service_days and int_availability_downtime_days: ephemeral, inside fct_outage and the KPIs
    "fct_outage",
    "kpi_availability_daily",
    "kpi_availability_monthly",
)


def generate(warehouse: Path, rows: int) -> None:
    import duckdb

    from pipelines.ingest.schema import ensure_raw_schema

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    warehouse.unlink(missing_ok=True)
    conn = duckdb.connect(str(warehouse))
    conn.execute("SET TimeZone = 'UTC'")
    ensure_raw_schema(conn)
    conn.execute("SELECT setseed(0.42)")
    reference = "['email', 'erp', 'payroll', 'hr_portal', 'vpn', 'crm', 'data_platform', 'website']"
    conn.execute(
        f"""
        CREATE TEMP TABLE gen AS
        SELECT
            i,
            CASE WHEN i % 100 < 8 THEN ({reference})[1 + i % 100] ELSE 'svc-' || lpad(CAST(i % 100 AS VARCHAR), 3, '0')
            END AS service,
            TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(CAST(random() * 94608000 AS BIGINT)) AS started_at,
            -- log-normal duration, median ~20 min, capped at 5 days
            least(CAST(exp(ln(1200) + 1.3 * sqrt(-2 * ln(random() + 1e-12)) * cos(2 * pi() * random())) AS BIGINT),
                  432000) AS duration_s,
            random() AS kind_draw,
            random() AS extra_draw
        FROM range({rows}) AS r(i)
        """
    )
    lineage = "'bench_outages.parquet', repeat('0', 64), i + 1, TIMESTAMPTZ '2027-01-01 00:00:00+00', 1, NULL"
    conn.execute(
        f"""
        INSERT INTO raw.outages
        SELECT
            CASE WHEN kind_draw < 0.275 THEN 'PRB-' ELSE 'OUT-' END || lpad(CAST(i AS VARCHAR), 8, '0'),
            service,
            NULL,
            started_at,
            started_at + to_seconds(duration_s),
            CASE WHEN kind_draw < 0.55 THEN 'unplanned' WHEN kind_draw < 0.80 THEN 'degradation' ELSE 'planned' END,
            CASE WHEN kind_draw >= 0.55 AND kind_draw < 0.80 THEN (10 + 10 * floor(extra_draw * 6)) END,
            CASE WHEN kind_draw >= 0.80 THEN 'CHG' || lpad(CAST(i AS VARCHAR), 8, '0') END,
            NULL,
            {lineage}
        FROM gen
        """
    )
    # one change per planned window: 90 % approved, approved window = the first 80 % of the window for a
    # quarter of them (an overrun), the whole window otherwise
    conn.execute(
        """
        INSERT INTO raw.changes
        SELECT
            'CHG' || lpad(CAST(i AS VARCHAR), 8, '0'), 'normal', 'moderate', service, NULL,
            started_at - INTERVAL 7 DAY,
            CASE WHEN extra_draw < 0.9 THEN started_at - INTERVAL 2 DAY END,
            started_at,
            started_at + to_seconds(CASE WHEN extra_draw < 0.25 THEN duration_s * 8 // 10 ELSE duration_s END),
            started_at,
            started_at + to_seconds(duration_s),
            'closed', 'successful', 'CAB',
            'bench_changes.parquet', repeat('0', 64), i + 1, TIMESTAMPTZ '2027-01-01 00:00:00+00', 1, NULL
        FROM gen
        WHERE kind_draw >= 0.80
        """
    )
    conn.execute("CHECKPOINT")
    conn.close()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_dbt(warehouse: Path, work: Path) -> tuple[float, float, dict[str, float], list[float]]:
    """Wall and CPU seconds of the dbt build, execution time per model, execution times of the availability tests."""
    env = {
        **os.environ,
        "ITSM_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = Path(sys.executable).with_name("dbt")
    project = ROOT / "dbt_project"
    cmd = [
        str(dbt),
        "build",
        "--select",
        "+kpi_availability_monthly",
        "--indirect-selection",
        "cautious",
        "--project-dir",
        str(project),
    ]
    cmd += ["--profiles-dir", str(project)]
    started, cpu_started = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu_started
    if proc.returncode != 0:
        sys.exit(f"dbt build failed:\n{proc.stdout[-4000:]}")
    results = json.loads((work / "target" / "run_results.json").read_text())
    timings = {
        r["unique_id"].split(".")[-1]: r["execution_time"]
        for r in results["results"]
        if r["unique_id"].startswith("model.")
    }
    tests = [
        r["execution_time"]
        for r in results["results"]
        if r["unique_id"].startswith("test.") and any(k in r["unique_id"] for k in ("outage", "availability"))
    ]
    return wall, cpu, timings, tests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench_availability")
    args = parser.parse_args()
    warehouse = args.work / "itsm.duckdb"
    started = time.perf_counter()
    generate(warehouse, args.rows)
    print(f"generated {args.rows:,} intervals in {time.perf_counter() - started:.1f} s")
    wall, cpu, timings, tests = run_dbt(warehouse, args.work)
    availability = {m: timings.get(m, 0.0) for m in AVAILABILITY_MODELS}
    for model, seconds in availability.items():
        print(f"  {model:<34} {seconds:7.2f} s")
    print(
        f"  {'int_calendar_business_segments (shared)':<34} {timings.get('int_calendar_business_segments', 0):7.2f} s"
    )
    total = sum(availability.values())
    # other work on the machine stretches wall times: print the load so figures can be compared fairly
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"availability tests: {len(tests)} nodes, {sum(tests):.2f} s")
    print(
        f"availability models: {total:.1f} s (target < 30 s); whole dbt build incl. start-up and tests: "
        f"{wall:.1f} s wall, {cpu:.1f} s CPU"
    )

    import duckdb

    conn = duckdb.connect(str(warehouse), read_only=True)
    merged, months = conn.execute(
        "SELECT (SELECT count(*) FROM marts.fct_outage), (SELECT count(*) FROM marts.kpi_availability_monthly)"
    ).fetchone()
    print(f"{merged:,} merged outages, {months:,} service-months")


if __name__ == "__main__":
    main()
