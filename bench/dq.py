"""Data-quality benchmark: every check over 1,000,000 tickets and 5,000,000 events, first and later runs.

    .venv/bin/python bench/dq.py                  # 1,000,000 tickets + 5,000,000 events
    .venv/bin/python bench/dq.py --tickets 100000 --keep /tmp/dq_bench
    .venv/bin/python bench/dq.py --rounds 3 --definitions   # medians of 3 rounds, in a process like the job's

Builds a raw warehouse with DuckDB SQL (two loads of tickets/events/changes/outages/surveys, a load log, a
services reference, staging views as dbt makes them, the incident mart) and plants a few defects so the failure
paths (sample keys) run too; the timed passes work on a copy. Each pass runs every check group in a fresh process
(so GX's import is paid where a pass needs it) and prints the CPU seconds per check step (dq_raw_tables,
dq_staging_and_marts: each stores the outcomes it validated at its end, as the Dagster job's two steps do), each
asset group's results and whether great_expectations was imported:
  first    nothing checked yet: every raw load validated (the full refresh's checks)
  again    no new load: stored outcomes of the raw loads reused (GX should not be imported)
  delta    after a new load with 1% more tickets and events (the incremental run's checks: the new load's rows;
           staging and the reconciliations are checked whole on every pass)
  recheck  every load validated again, nothing reused (ITSM_FULL_REFRESH); results must equal the delta's
With --rounds N the four passes run N times, each round on a fresh copy of the warehouse, and the medians are
printed. With --definitions each pass loads the Dagster definitions first (untimed), as the job's process has:
GX's import then costs what it costs in the job (less than in a bare process).
The GX layer's own cost (import + context) is timed alone in one more process. Target: all checks under 30 s.
"""

from __future__ import annotations

import argparse
import os
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
    # Staging as dbt builds it: views of the latest row per key (models/staging, macros/latest_row_per_key.sql).
    conn.execute("create schema staging")
    keys = (("tickets", "ticket_id"), ("changes", "change_id"), ("outages", "outage_id"), ("surveys", "survey_id"))
    for table, key in keys:
        conn.execute(
            f"""create view staging.stg_raw__{table} as select * from raw.{table}
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


def add_delta_load(path: Path, tickets: int) -> None:
    """Load 3: 0.5% new tickets with their events and 0.5% re-exported (updated) tickets, as a daily file would."""
    import duckdb

    new, lineage = max(tickets // 200, 1), "'/inbox/delta.csv', 'sha3', 1, timestamptz '2026-11-02 00:00:00+00', 3"
    conn = duckdb.connect(str(path))
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(
        f"""insert into raw.tickets (ticket_id, ticket_type, opened_at, state, priority, service,
                _source_file, _file_sha256, _row_number, _loaded_at, _load_id)
            select 'INC' || lpad(i::varchar, 8, '0'), 'incident',
                   timestamptz '2025-11-01 00:00:00+00' + to_seconds(i * 31), 'new', 2, 'erp', {lineage}
            from range({tickets} + 1, {tickets} + {new} + 1) t(i)
            union all
            select 'INC' || lpad(i::varchar, 8, '0'), 'incident',
                   timestamptz '2025-11-01 00:00:00+00' + to_seconds(i * 31), 'resolved', 3, 'email', {lineage}
            from range(1, {new} + 1) t(i)"""
    )
    conn.execute(
        f"""insert into raw.ticket_events (ticket_id, event_at, field, from_value, to_value, actor,
                _source_file, _file_sha256, _row_number, _loaded_at, _load_id)
            select 'INC' || lpad(({tickets} + 1 + i // {EVENTS_PER_TICKET})::varchar, 8, '0'),
                   timestamptz '2026-11-01 00:00:00+00' + to_seconds(i * 60), 'state', 'a', 'b', 'agent', {lineage}
            from range(0, {new * EVENTS_PER_TICKET}) t(i)"""
    )
    conn.execute(
        """insert into raw.load_log (load_id, source_file, file_sha256, status, rows_read, rows_loaded,
               rows_quarantined, started_at, finished_at)
           values (3, '/inbox/delta.csv', 'sha3', 'loaded', 10, 10, 0, now(), now())"""
    )
    # staging views show the new rows by themselves; the incident mart is rebuilt (dbt refreshes it)
    conn.execute(
        "create or replace table marts.fct_incident as "
        "select ticket_id from staging.stg_raw__tickets where ticket_type = 'incident'"
    )
    conn.execute("checkpoint")
    conn.close()


# The job's two check steps (pipelines/assets/checks.py): the raw tables' checks after ingestion, the staging and
# mart checks after dbt. Each step stores the outcomes it validated at its end.
STEPS = (("dq_raw_tables", lambda key: key[0] == "raw"), ("dq_staging_and_marts", lambda key: key[0] != "raw"))


def child_pass(path: Path, reuse: bool, definitions: bool = False) -> None:
    """One pass of every check, in this (fresh) process, step by step as the Dagster job runs them; prints one JSON
    line for the parent. With `definitions`, the Dagster definitions are loaded first (untimed), as in the job's
    process: the libraries they share with GX are then already imported, so GX's import costs what it costs there."""
    import json

    import duckdb

    if definitions:
        import pipelines.definitions  # noqa: F401

    from data_quality.incremental import PendingOutcomes
    from data_quality.runner import checks_by_asset, run_step
    from data_quality.specs import Status

    conn = duckdb.connect(str(path))
    conn.execute("SET TimeZone = 'UTC'")
    # Freshness reference: one hour after the newest ticket, so the bench measures the checks, not the calendar.
    (newest,) = conn.execute("select max(opened_at) from raw.tickets").fetchone()
    as_of = newest.astimezone(UTC) + timedelta(hours=1)
    groups, results, steps = [], [], []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for step, in_step in STEPS:
        pending = PendingOutcomes()
        step_cpu, step_wall = time.process_time(), time.perf_counter()
        members = [g for g in checks_by_asset() if in_step(g.asset_key)]
        t0 = time.perf_counter()
        evaluated = run_step(conn, members, as_of, reuse, pending)
        groups.append((f"(checks of {step})", sum(map(len, evaluated)), time.perf_counter() - t0, []))
        for group, group_results in zip(members, evaluated, strict=True):
            results += group_results
            failed = [r.check_name for r in group_results if r.status is not Status.PASSED]
            groups.append(("/".join(group.asset_key), len(group_results), 0.0, failed))
        t0 = time.perf_counter()
        pending.commit(conn)  # what was checked, stored once at the end of the step, as a check step does
        groups.append((f"(storing what {step} checked)", 0, time.perf_counter() - t0, []))
        steps.append((step, time.process_time() - step_cpu, time.perf_counter() - step_wall))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    conn.close()
    comparable = sorted(
        (r.check_name, str(r.status), r.failing_row_count, r.observed_value, sorted(r.failing_keys_sample))
        for r in results
    )
    print(
        json.dumps(
            {
                "groups": groups,
                "steps": steps,
                "wall": wall,
                "cpu": cpu,
                "checks": len(results),
                "gx_imported": "great_expectations" in sys.modules,
                "results": comparable,
            }
        )
    )


def child_gx_layer() -> None:
    """The GX layer's fixed cost: the import and the context with its pandas datasource."""
    import json

    t0 = time.perf_counter()
    import great_expectations  # noqa: F401

    t_import = time.perf_counter() - t0
    from data_quality.gx_engine import _batch_definition, gx_context

    t0 = time.perf_counter()
    gx_context()
    _batch_definition()
    print(json.dumps({"import": t_import, "context": time.perf_counter() - t0}))


def _child(*args: str) -> dict:
    import json
    import subprocess

    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True, env={**os.environ}
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _report(name: str, result: dict) -> None:
    print(
        f"{name}: {result['checks']} checks in {result['wall']:.2f} s wall, {result['cpu']:.2f} s CPU; "
        f"great_expectations imported: {result['gx_imported']}; load average {os.getloadavg()[0]:.1f}"
    )
    steps = ", ".join(f"{step} {cpu:.2f} s CPU ({wall:.2f} s wall)" for step, cpu, wall in result["steps"])
    print(f"  by step: {steps}")
    for group, n, elapsed, failed in result["groups"]:
        timing = f"{elapsed:6.2f} s" if group.startswith("(") else " " * 8
        print(f"  {group:<44} {n:>3} checks {timing}  not passed: {failed}")


def _passes(work: Path, tickets: int, job_args: list[str]) -> tuple[dict[str, dict], bool]:
    """first, again, delta and recheck on `work` (a fresh copy of the built warehouse), each reported; whether the
    delta's results equal the full re-check's."""
    passes: dict[str, dict] = {}
    for name, label, mode in (("first", "first (every load new)", "reuse"), ("again", "again (no new load)", "reuse")):
        passes[name] = _child("--child", mode, "--path", str(work), *job_args)
        _report(label, passes[name])
    add_delta_load(work, tickets)
    passes["delta"] = _child("--child", "reuse", "--path", str(work), *job_args)
    _report("delta (one new load, +1%)", passes["delta"])
    passes["recheck"] = _child("--child", "recheck", "--path", str(work), *job_args)
    _report("recheck (every row again, nothing reused)", passes["recheck"])
    same = passes["delta"]["results"] == passes["recheck"]["results"]
    print(f"delta results identical to the full re-check: {same}")
    return passes, same


def _medians(rounds: list[dict[str, dict]]) -> None:
    """Median CPU seconds per pass and step over the rounds (one round can be lucky or unlucky on a shared machine)."""
    import statistics

    print(f"medians of {len(rounds)} rounds, CPU seconds (min-max):")
    for name in ("first", "again", "delta", "recheck"):
        cells = []
        for i, (step, _) in enumerate(STEPS):
            values = [r[name]["steps"][i][1] for r in rounds]
            cells.append(f"{step} {statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})")
        totals = [r[name]["cpu"] for r in rounds]
        total = f"total {statistics.median(totals):.2f} ({min(totals):.2f}-{max(totals):.2f})"
        print(f"  {name:<8} {total}; " + "; ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="folder to build (and keep) the warehouse in")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every pass on a fresh copy; print medians")
    parser.add_argument(
        "--definitions", action="store_true", help="load the Dagster definitions before each pass, as the job does"
    )
    parser.add_argument("--child", choices=["reuse", "recheck", "gx"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "gx":
        return child_gx_layer()
    if args.child:
        return child_pass(args.path, reuse=args.child == "reuse", definitions=args.definitions)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="dq_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / f"bench_{args.tickets}.duckdb"
    if not base.exists():
        t0 = time.perf_counter()
        build(base, args.tickets)
        print(f"built warehouse {base} in {time.perf_counter() - t0:.1f} s")
    work = folder / f"work_{args.tickets}.duckdb"

    print(
        f"{args.tickets:,} tickets, {args.tickets * EVENTS_PER_TICKET:,} events (+ re-exports); "
        f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        + ("; Dagster definitions loaded before each pass" if args.definitions else "")
    )
    gx_layer = _child("--child", "gx")
    rounds, all_same = [], True
    for _ in range(args.rounds):
        shutil.copyfile(base, work)  # the passes store outcomes and add a load: the base stays as built
        passes, same = _passes(work, args.tickets, ["--definitions"] if args.definitions else [])
        rounds.append(passes)
        all_same = all_same and same
    if args.rounds > 1:
        _medians(rounds)
    print(f"GX layer alone: import {gx_layer['import']:.2f} s, context + datasource {gx_layer['context']:.2f} s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    work.unlink()
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    if not all_same:
        sys.exit(1)


if __name__ == "__main__":
    main()
