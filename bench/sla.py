"""SLA engine benchmark: the dbt build of the SLA and incident KPI models on 1,000,000 tickets / 5,000,000 events,
and the business-time step (cumulative clock, one hash lookup per endpoint) against a week-exploding method.

    .venv/bin/python bench/sla.py                    # 1,000,000 tickets + 5,000,000 events
    .venv/bin/python bench/sla.py --tickets 100000

1. Generates the raw tables directly with DuckDB SQL (no CSV) in a fresh warehouse under --work: tickets over
   2025-2026 on every calendar (uk / us business hours, 24x7 P1), 5 events each - assignment, pick-up, on-hold
   and back (or a priority change and a reassignment), resolution (5 % stay open, 3 % are reopened); work
   takes up to 10 days, 1 ticket in 10 up to 65 days (a long tail, as in real queues).
2. Times `dbt build --select +<SLA and incident marts>` (models and their tests, dbt start-up included) and
   prints dbt's own time per model. Target: under 60 s.
3. On the built warehouse, computes business seconds of every ticket's opened -> resolved interval on its
   support calendar twice, into temp tables: (a) B(resolved) - B(opened) as compiled by dbt from the
   business_clock_* macros (one equi-join per endpoint on int_calendar_clock_hours, the clock bucketed by
   hour); (b) exploding each interval into the ISO weeks it touches and summing its overlap with every
   business window of those weeks (the fivetran/zendesk way). Both use the same exact windows, so the totals
   must match; prints both times and the ratio. Target: >= 10x.
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

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.ingest.schema import ensure_raw_schema  # noqa: E402
from pipelines.settings import DBT_PROJECT_DIR  # noqa: E402

MARTS = [
    "+fct_ticket_sla",
    "+fct_sla_explain",
    "+fct_incident",
    "+kpi_incident_daily",
    "+kpi_incident_monthly",
    "+fct_backlog_daily",
    "+kpi_sla_source_reconciliation",
]

LINEAGE = (
    "'bench' AS _source_file, repeat('0', 64) AS _file_sha256, i AS _row_number, now() AS _loaded_at, 1 AS _load_id"
)

# Seconds after 2025-01-01 00:00 UTC, drawn per ticket from stable hashes so every run builds the same data.
TICKETS_SQL = """
CREATE OR REPLACE TEMP TABLE plan AS
SELECT
    i,
    'B' || lpad(CAST(i AS VARCHAR), 8, '0') AS ticket_id,
    TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(CAST(hash(i, 'open') % (700 * 86400) AS BIGINT)) AS opened_at,
    1 + CAST(hash(i, 'prio') % 4 AS INTEGER) AS priority,
    (['email', 'erp', 'payroll', 'hr_portal', 'vpn', 'crm', 'data_platform', 'website', 'legacy'])
        [1 + CAST(hash(i, 'svc') % 9 AS INTEGER)] AS service,
    CAST(hash(i, 'd1') % 3600 AS BIGINT) + 60 AS d1,
    CAST(hash(i, 'd2') % (2 * 86400) AS BIGINT) + 600 AS d2,
    CAST(hash(i, 'd3') % (3 * 86400) AS BIGINT) + 600 AS d3,
    -- resolution work: up to 5 days, with a long tail (1 ticket in 10 up to 60 days) as in real queues
    CAST(hash(i, 'd4') % (CASE WHEN i % 10 = 3 THEN 60 ELSE 5 END * 86400) AS BIGINT) + 600 AS d4,
    i % 20 = 7 AS stays_open,
    i % 10 = 0 AS changes_priority,
    i % 33 = 5 AS reopened
FROM range({n}) AS r(i);

INSERT INTO raw.tickets
SELECT
    ticket_id,
    CASE WHEN i % 5 = 4 THEN 'request' ELSE 'incident' END AS ticket_type,
    opened_at,
    CASE WHEN i % 3 = 0 THEN NULL ELSE opened_at + to_seconds(d1) END AS first_response_at,
    CASE WHEN stays_open THEN NULL ELSE opened_at + to_seconds(d1 + d2 + d3 + d4) END AS resolved_at,
    CASE WHEN stays_open THEN NULL ELSE opened_at + to_seconds(d1 + d2 + d3 + d4 + 86400) END AS closed_at,
    CASE WHEN stays_open THEN 'awaiting_customer' ELSE 'closed' END AS state,
    priority,
    priority AS impact,
    priority AS urgency,
    service,
    'ci-' || (i % 500) AS ci,
    'cat-' || (i % 10) AS category,
    'sub-' || (i % 30) AS subcategory,
    'group-' || (i % 20) AS assignment_group,
    'agent-' || (i % 300) AS assignee,
    (['email', 'phone', 'portal'])[1 + i % 3] AS channel,
    'caller-' || (i % 5000) AS caller,
    CAST(reopened AS INTEGER) AS reopen_count,
    CAST(changes_priority AS INTEGER) AS reassignment_count,
    NULL AS caused_by_change,
    NULL AS problem_id,
    'solved' AS close_code,
    hash(i, 'made') % 10 <> 0 AS source_made_sla,
    {lineage},
    NULL AS _extra
FROM plan;
"""

# Five events per ticket: k = 0 assignment, 1 pick-up, 2 / 3 on hold and back (or priority change and
# reassignment, or resolved and reopened), 4 resolution (or a move to awaiting_customer for open tickets).
EVENTS_SQL = """
INSERT INTO raw.ticket_events
SELECT
    p.ticket_id,
    p.opened_at + to_seconds(CASE k WHEN 0 THEN 30 WHEN 1 THEN p.d1 WHEN 2 THEN p.d1 + p.d2
        WHEN 3 THEN p.d1 + p.d2 + p.d3 ELSE p.d1 + p.d2 + p.d3 + p.d4 END) AS event_at,
    CASE
        WHEN k = 0 THEN 'assignment_group'
        WHEN k = 2 AND p.changes_priority THEN 'priority'
        WHEN k = 3 AND p.changes_priority THEN 'assignment_group'
        ELSE 'state'
    END AS field,
    CASE
        WHEN k = 0 THEN NULL
        WHEN k = 1 THEN 'new'
        WHEN k = 2 AND p.changes_priority THEN CAST(p.priority AS VARCHAR)
        WHEN k = 3 AND p.changes_priority THEN 'group-' || (p.i % 20)
        WHEN k = 2 THEN 'in_progress'
        WHEN k = 3 AND p.reopened THEN 'resolved'
        WHEN k = 3 THEN 'on_hold'
        ELSE 'in_progress'
    END AS from_value,
    CASE
        WHEN k = 0 THEN 'group-' || ((p.i + 1) % 20)
        WHEN k = 1 THEN 'in_progress'
        WHEN k = 2 AND p.changes_priority THEN CAST(greatest(p.priority - 1, 1) AS VARCHAR)
        WHEN k = 3 AND p.changes_priority THEN 'group-' || ((p.i + 2) % 20)
        WHEN k = 2 AND p.reopened THEN 'resolved'
        WHEN k = 2 THEN 'on_hold'
        WHEN k = 3 THEN 'in_progress'
        WHEN p.stays_open THEN 'awaiting_customer'
        ELSE 'resolved'
    END AS to_value,
    'agent-' || (p.i % 300) AS actor,
    'bench' AS _source_file, repeat('0', 64) AS _file_sha256, p.i * 5 + k AS _row_number, now() AS _loaded_at,
    1 AS _load_id, NULL AS _extra
FROM plan AS p
CROSS JOIN range(5) AS e(k);
"""

INTERVALS_SQL = """
CREATE OR REPLACE TEMP TABLE bench_intervals AS
SELECT t.ticket_id, coalesce(s.support_calendar_id, 'uk_business') AS calendar_id, t.opened_at AS a, t.resolved_at AS b
FROM staging.stg_raw__tickets AS t LEFT JOIN reference.services AS s ON t.service = s.service
WHERE t.resolved_at IS NOT NULL
"""

# (a) the cumulative clock: B(resolved) - B(opened) exactly as the models compute it, compiled by dbt from the
# business_clock_* macros (on DuckDB one equi-join per endpoint into int_calendar_clock_hours plus bit arithmetic).
CUMULATIVE_JINJA = """
select i.ticket_id, {{ business_clock_at('ce', 'i.b') }} - {{ business_clock_at('cs', 'i.a') }} as business_seconds
from bench_intervals as i
{{ business_clock_join('cs', 'i.calendar_id', 'i.a') }}
{{ business_clock_join('ce', 'i.calendar_id', 'i.b') }}
"""

# (b) week-exploding, the usual way (e.g. fivetran/dbt_zendesk): one row per interval x local week it touches x
# weekly schedule row of its calendar; each window is placed on its local day, converted to UTC (so DST is
# exact), dropped on holidays, clipped to the interval and summed. Same reference data, same exact answer.
WEEKLY_SQL = """
CREATE OR REPLACE TEMP TABLE bench_weekly AS
WITH sched AS (
    SELECT calendar_id, timezone, weekday,
           CAST(split_part(start_time, ':', 1) AS INTEGER) * 3600 + CAST(split_part(start_time, ':', 2) AS INTEGER) * 60
               AS start_second,
           CAST(split_part(end_time, ':', 1) AS INTEGER) * 3600 + CAST(split_part(end_time, ':', 2) AS INTEGER) * 60
               AS end_second
    FROM reference.calendars
),
zones AS (SELECT DISTINCT calendar_id, timezone FROM sched),
weeks AS (
    SELECT i.ticket_id, i.calendar_id, i.a, i.b, CAST(w.week_start AS DATE) AS week_start
    FROM bench_intervals AS i
    JOIN zones AS z ON i.calendar_id = z.calendar_id,
    LATERAL (SELECT unnest(generate_series(date_trunc('week', timezone(z.timezone, i.a)),
                                           timezone(z.timezone, i.b), INTERVAL 7 DAY)) AS week_start) AS w
),
windows AS (
    SELECT k.ticket_id, k.calendar_id, k.a, k.b, k.week_start + (s.weekday - 1) AS local_day,
           timezone(s.timezone, CAST(k.week_start + (s.weekday - 1) AS TIMESTAMP) + to_seconds(s.start_second)) AS ws,
           timezone(s.timezone, CAST(k.week_start + (s.weekday - 1) AS TIMESTAMP) + to_seconds(s.end_second)) AS we
    FROM weeks AS k
    JOIN sched AS s ON k.calendar_id = s.calendar_id
)
SELECT w.ticket_id,
       sum(greatest(0, epoch(least(w.b, w.we)) - epoch(greatest(w.a, w.ws)))) AS business_seconds
FROM windows AS w
ANTI JOIN reference.holidays AS h ON w.calendar_id = h.calendar_id AND w.local_day = h.holiday_date
GROUP BY w.ticket_id
"""


def generate(warehouse: Path, tickets: int) -> None:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        Path(f"{warehouse}{suffix}").unlink(missing_ok=True)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        ensure_raw_schema(conn)
        conn.execute(TICKETS_SQL.format(n=tickets, lineage=LINEAGE))
        conn.execute(EVENTS_SQL)
        conn.execute("CHECKPOINT")
        counts = conn.execute("SELECT (SELECT count(*) FROM raw.tickets), (SELECT count(*) FROM raw.ticket_events)")
        print(f"raw: {counts.fetchone()} tickets / events in {warehouse}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _dbt(args: list[str], warehouse: Path, work: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ITSM_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)


def dbt_build(warehouse: Path, work: Path, threads: int) -> tuple[float, float, list[tuple[str, float]]]:
    args = ["build", "--select", *MARTS, "--indirect-selection", "cautious", "--threads", str(threads)]
    start, cpu_start = time.perf_counter(), _children_cpu()
    proc = _dbt(args, warehouse, work)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu_start
    if proc.returncode != 0:
        sys.exit(f"dbt build failed:\n{proc.stdout[-4000:]}")
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    timings = sorted(((r["unique_id"], r["execution_time"]) for r in results), key=lambda x: -x[1])
    return elapsed, cpu, timings


def compile_cumulative_sql(warehouse: Path, work: Path) -> str:
    """CUMULATIVE_JINJA compiled by dbt (the project's own macros), as a statement filling bench_cumulative."""
    proc = _dbt(["compile", "--quiet", "--inline", CUMULATIVE_JINJA], warehouse, work)
    if proc.returncode != 0:
        sys.exit(f"dbt compile of the clock lookup failed:\n{proc.stdout[-4000:]}")
    return f"CREATE OR REPLACE TEMP TABLE bench_cumulative AS {proc.stdout}"


def business_time_race(warehouse: Path, cumulative_sql: str) -> tuple[int, tuple[float, float], tuple[float, float]]:
    """Row count, then (wall s, CPU s) of the cumulative and of the week-exploding method (DuckDB runs in-process,
    so process CPU time counts its threads)."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET enable_progress_bar = false")
        conn.execute(INTERVALS_SQL)
        intervals = conn.execute("SELECT count(*) FROM bench_intervals").fetchone()[0]
        start, cpu_start = time.perf_counter(), time.process_time()
        conn.execute(cumulative_sql)
        cumulative = (time.perf_counter() - start, time.process_time() - cpu_start)
        start, cpu_start = time.perf_counter(), time.process_time()
        conn.execute(WEEKLY_SQL)
        weekly = (time.perf_counter() - start, time.process_time() - cpu_start)
        diff = conn.execute(
            """SELECT count(*) FROM bench_cumulative AS c LEFT JOIN bench_weekly AS w USING (ticket_id)
               WHERE abs(c.business_seconds - coalesce(w.business_seconds, 0)) > 1e-6"""
        ).fetchone()[0]
        if diff:
            sys.exit(f"the two business-time methods disagree on {diff} intervals")
    return intervals, cumulative, weekly


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/itsm_bench_sla"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    warehouse = args.work / "itsm.duckdb"

    start = time.perf_counter()
    generate(warehouse, args.tickets)
    print(f"generated in {time.perf_counter() - start:.1f} s")

    print(f"load average before the build: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    elapsed, cpu, timings = dbt_build(warehouse, args.work, args.threads)
    print(f"\ndbt build of the SLA + incident KPI marts (models + tests, start-up included): {elapsed:.1f} s wall")
    print(f"  CPU time of the dbt process: {cpu:.1f} s (on an idle {os.cpu_count()}-core machine wall >= CPU / cores)")
    print(f"  {'PASS' if elapsed < 60 else 'MISS'} target < 60 s; slowest nodes:")
    for unique_id, seconds in timings[:10]:
        print(f"  {seconds:7.2f} s  {unique_id}")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        for table in ("fct_ticket_sla", "fct_sla_explain", "fct_incident", "fct_backlog_daily"):
            print(f"  marts.{table}: {conn.execute(f'SELECT count(*) FROM marts.{table}').fetchone()[0]:,} rows")

    intervals, cumulative, weekly = business_time_race(warehouse, compile_cumulative_sql(warehouse, args.work))
    print(f"\nbusiness time of {intervals:,} opened -> resolved intervals (identical results):")
    print(f"  cumulative clock (hour-bucket lookup):{cumulative[0]:.2f} s wall, {cumulative[1]:.2f} s CPU")
    print(f"  week-exploding:                       {weekly[0]:.2f} s wall, {weekly[1]:.2f} s CPU")
    ratio, cpu_ratio = weekly[0] / cumulative[0], weekly[1] / cumulative[1]
    verdict = "PASS" if ratio >= 10 else "MISS"
    print(f"  {ratio:.1f}x faster wall, {cpu_ratio:.1f}x CPU - {verdict} target >= 10x")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
