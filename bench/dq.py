"""Data-quality benchmark: every check over 1,000,000 tickets and 5,000,000 events.

    .venv/bin/python bench/dq.py                  # 1,000,000 tickets + 5,000,000 events
    .venv/bin/python bench/dq.py --tickets 100000 --keep /tmp/dq_bench

Builds a raw warehouse with DuckDB SQL (two loads of tickets/events/changes/outages/surveys, a load log, a
services reference, staging tables) and plants a few defects so the failure paths (sample keys) run too. Then it
times, in one process: importing great_expectations, creating the GX context, and `run_all` (every GX suite,
volume, freshness, load balance, quarantine, reconciliation), per asset group. Target: all checks under 30 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVENTS_PER_TICKET = 5


def build(path: Path, tickets: int) -> None:
    import duckdb

    from pipelines.ingest.schema import ensure_raw_schema

    conn = duckdb.connect(str(path))
    conn.execute("SET TimeZone = 'UTC'")
    ensure_raw_schema(conn)
    lineage = "'/inbox/bench.csv', 'sha', i::bigint, timestamptz '2026-11-01 00:00:00+00'"
    # Load 1: 90 % of the tickets; load 2: the rest plus a re-export of 10 % (history, not duplicates).
    conn.execute(
        f"""insert into raw.tickets (ticket_id, ticket_type, opened_at, first_response_at, resolved_at, closed_at,
                state, priority, impact, urgency, service, reopen_count, reassignment_count,
                _source_file, _file_sha256, _row_number, _loaded_at, _load_id)
            select 'INC' || lpad(i::varchar, 8, '0'),
                   case when i % 10 = 0 then 'request' else 'incident' end,
                   timestamptz '2025-11-01 00:00:00+00' + to_seconds(i * 31),
                   timestamptz '2025-11-01 00:05:00+00' + to_seconds(i * 31),
                   timestamptz '2025-11-01 04:00:00+00' + to_seconds(i * 31),
                   timestamptz '2025-11-02 04:00:00+00' + to_seconds(i * 31),
                   'closed', 1 + i % 4, 1 + i % 4, 1 + i % 3,
                   (['email', 'erp', 'payroll', 'hr_portal'])[1 + i % 4], i % 2, i % 3,
                   {lineage}, case when i <= {tickets} * 0.9 then 1 else 2 end
            from range(1, {tickets} + 1) t(i)
            union all
            select 'INC' || lpad(i::varchar, 8, '0'), 'incident', timestamptz '2025-11-01 00:00:00+00'
                   + to_seconds(i * 31), null, null, null, 'new', 3, 2, 2, 'email', 0, 0, {lineage}, 2
            from range(1, {tickets} // 10) t(i) where i % 10 <> 0"""
    )
    conn.execute(
        f"""insert into raw.ticket_events (ticket_id, event_at, field, from_value, to_value, actor,
                _source_file, _file_sha256, _row_number, _loaded_at, _load_id)
            select 'INC' || lpad((i // {EVENTS_PER_TICKET} + 1)::varchar, 8, '0'),
                   timestamptz '2025-11-01 00:00:00+00' + to_seconds((i // {EVENTS_PER_TICKET}) * 31 + i % 5 * 60),
                   (['state', 'assignment_group', 'priority', 'state', 'state'])[1 + i % 5], 'a', 'b', 'agent',
                   {lineage}, case when i < {tickets * EVENTS_PER_TICKET} * 0.9 then 1 else 2 end
            from range(0, {tickets * EVENTS_PER_TICKET}) t(i)"""
    )
    n_changes, n_small = tickets // 20, tickets // 50
    conn.execute(
        f"""insert into raw.changes (change_id, change_type, service, requested_at, approved_at, planned_start,
                planned_end, actual_start, actual_end, state, close_code,
                _source_file, _file_sha256, _row_number, _loaded_at, _load_id)
            select 'CHG' || i, (['standard', 'normal', 'emergency'])[1 + i % 3], 'erp',
                   timestamptz '2025-11-01 00:00:00+00' + to_seconds(i * 600),
                   timestamptz '2025-11-01 01:00:00+00' + to_seconds(i * 600),
                   timestamptz '2025-11-02 00:00:00+00' + to_seconds(i * 600),
                   timestamptz '2025-11-02 02:00:00+00' + to_seconds(i * 600),
                   timestamptz '2025-11-02 00:00:00+00' + to_seconds(i * 600),
                   timestamptz '2025-11-02 01:00:00+00' + to_seconds(i * 600),
                   'closed', 'successful', {lineage}, 1 + (i % 2)
            from range(1, {n_changes}) t(i)"""
    )
    conn.execute(
        f"""insert into raw.outages (outage_id, service, started_at, ended_at, outage_type, impact_pct,
                _source_file, _file_sha256, _row_number, _loaded_at, _load_id)
            select 'OUT' || i, 'email', timestamptz '2025-11-01 00:00:00+00' + to_seconds(i * 3600),
                   timestamptz '2025-11-01 00:30:00+00' + to_seconds(i * 3600), 'unplanned', 100, {lineage}, 1 + i % 2
            from range(1, {n_small}) t(i)"""
    )
    conn.execute(
        f"""insert into raw.surveys (survey_id, ticket_id, sent_at, responded_at, csat_score, nps_score,
                _source_file, _file_sha256, _row_number, _loaded_at, _load_id)
            select 'SRV' || i, 'INC' || lpad(i::varchar, 8, '0'), timestamptz '2025-11-01 06:00:00+00'
                   + to_seconds(i * 31), null, 1 + i % 5, i % 11, {lineage}, 1 + i % 2
            from range(1, {n_small * 5}) t(i)"""
    )
    # Planted defects: an unknown priority, a missing state, resolved before opened, a CSAT of 9, unknown services.
    conn.execute("update raw.tickets set priority = 7 where ticket_id = 'INC00000777' and _load_id = 1")
    conn.execute("update raw.tickets set state = null where ticket_id = 'INC00000888' and _load_id = 1")
    conn.execute("update raw.tickets set resolved_at = opened_at - interval 1 hour where ticket_id = 'INC00000999'")
    conn.execute("update raw.surveys set csat_score = 9 where survey_id = 'SRV42'")
    conn.execute("update raw.tickets set service = 'crm_legacy' where ticket_id in ('INC00000101', 'INC00000202')")
    for load_id in (1, 2):
        conn.execute(
            """insert into raw.load_log (load_id, source_file, file_sha256, status, rows_read, rows_loaded,
                   rows_quarantined, started_at, finished_at)
               values (?, '/inbox/bench.csv', 'sha', 'loaded', 10, 10, 0, now(), now())""",
            [load_id],
        )
    conn.execute("create schema reference")
    conn.execute(
        "create table reference.services as "
        "select * from (values ('email'), ('erp'), ('payroll'), ('hr_portal')) s(service)"
    )
    # Staging as dbt builds it (latest row per key), materialized here so the bench needs no dbt run.
    conn.execute("create schema staging")
    keys = (("tickets", "ticket_id"), ("changes", "change_id"), ("outages", "outage_id"), ("surveys", "survey_id"))
    for table, key in keys:
        conn.execute(
            f"""create table staging.stg_raw__{table} as select * from raw.{table}
                qualify row_number() over (partition by {key} order by _load_id desc, _row_number desc) = 1"""
        )
    # The incident mart's grain (one row per incident), so the staging -> mart reconciliation runs at full size.
    conn.execute("create schema marts")
    conn.execute(
        "create table marts.fct_incident as "
        "select ticket_id from staging.stg_raw__tickets where ticket_type = 'incident'"
    )
    conn.execute("checkpoint")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="folder to build (and keep) the warehouse in")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="dq_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench_{args.tickets}.duckdb"
    if not path.exists():
        t0 = time.perf_counter()
        build(path, args.tickets)
        print(f"built warehouse {path} in {time.perf_counter() - t0:.1f} s")

    import duckdb

    t0 = time.perf_counter()
    import great_expectations  # noqa: F401  (timed on its own: the fixed cost of the GX layer)

    t_import = time.perf_counter() - t0
    from data_quality.gx_engine import _batch_definition, gx_context

    t0 = time.perf_counter()
    gx_context()
    _batch_definition()
    t_context = time.perf_counter() - t0

    from data_quality.runner import checks_by_asset
    from data_quality.specs import Status

    conn = duckdb.connect(str(path))
    conn.execute("SET TimeZone = 'UTC'")
    (n_tickets,) = conn.execute("select count(*) from raw.tickets").fetchone()
    (n_events,) = conn.execute("select count(*) from raw.ticket_events").fetchone()
    # Freshness reference: one hour after the newest ticket, so the bench measures the checks, not the calendar.
    (newest,) = conn.execute("select max(opened_at) from raw.tickets").fetchone()
    as_of = newest.astimezone(UTC) + timedelta(hours=1)
    total, results = 0.0, []
    cpu0 = time.process_time()
    print(f"raw.tickets {n_tickets:,} rows, raw.ticket_events {n_events:,} rows")
    for group in checks_by_asset():
        t0 = time.perf_counter()
        group_results = group.run(conn, as_of)
        elapsed = time.perf_counter() - t0
        total += elapsed
        results += group_results
        failed = [r.check_name for r in group_results if r.status is not Status.PASSED]
        name = "/".join(group.asset_key)
        print(f"  {name:<34} {len(group_results):>3} checks {elapsed:6.2f} s  not passed: {failed}")
    cpu = time.process_time() - cpu0
    conn.close()
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"GX import:              {t_import:6.2f} s (fixed cost, once per process)")
    print(f"GX context + datasource:{t_context:6.2f} s")
    print(f"all checks ({len(results)}):       {total:6.2f} s (target < 30 s; excludes the import above)")
    # CPU seconds of this process: less sensitive than wall time when other jobs share the two cores.
    print(f"  CPU time of the checks: {cpu:6.2f} s")
    print(f"total incl. GX layer:   {total + t_import + t_context:6.2f} s")


if __name__ == "__main__":
    main()
