"""A hand-built warehouse for the extract tests: raw rows with lineage, staging views, the mart tables the
extracts read, and data-quality results. Small enough that every expected row is known by hand.

October 2026 is the period under test. What is in it, and why:
- tickets: T1 (email, opened 10-02) and T2 (erp, opened 10-05, caused by change C1) are active in October;
  T3 (September only) is not.
- changes: C1 started before approval (unauthorized) and caused T2 and outage O1; C2 is an emergency change;
  C3 is a clean standard change; C4 failed but finished in November.
- SLA clocks: T1 resolution breached 10-02 14:00 (in), T1 response met, T2 resolution breached 11-01 (out),
  T3 resolution breached in September (out).
- check runs: r0 (September, not latest), r1 (October), r2 (November, the latest).
- loads: 1 tickets_oct.csv (T1, T2), 2 changes.csv (C1-C4), 3 outages.csv (O1), 4 tickets_sep.csv (T3),
  5 surveys.jsonl (S1 on T1, with a free-text comment naming a person).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from data_quality.contract import TABLES
from data_quality.results import ensure_results_table
from pipelines.ingest.schema import ensure_raw_schema

LOADS = [
    # load_id, file, sha, rows
    (1, "inbox/tickets_oct.csv", "a" * 64, 2),
    (2, "inbox/changes.csv", "b" * 64, 4),
    (3, "inbox/outages.csv", "c" * 64, 1),
    (4, "inbox/tickets_sep.csv", "d" * 64, 1),
    (5, "inbox/surveys.jsonl", "e" * 64, 1),
]

TICKETS = [
    # ticket_id, opened, resolved, service, assignee, caller, caused_by_change, load
    ("T1", "2026-10-02 09:00Z", "2026-10-03 10:00Z", "email", "Alice Smith", "Bob Jones", None, 1),
    ("T2", "2026-10-05 09:00Z", None, "erp", "Carol White", "Dan Brown", "C1", 1),
    ("T3", "2026-09-01 09:00Z", "2026-09-02 09:00Z", "email", "Alice Smith", "Eve Black", None, 4),
]

CHANGES = [
    # change_id, type, requested, approved, actual_start, actual_end, close_code, service, unauthorized, failure
    (
        "C1",
        "normal",
        "2026-10-01 08:00Z",
        "2026-10-09 12:00Z",
        "2026-10-09 10:00Z",
        "2026-10-10 10:00Z",
        "successful",
        "erp",
        True,
        True,
    ),
    (
        "C2",
        "emergency",
        "2026-10-12 08:00Z",
        "2026-10-12 08:30Z",
        "2026-10-12 09:00Z",
        "2026-10-12 10:00Z",
        "successful",
        "email",
        False,
        False,
    ),
    (
        "C3",
        "standard",
        "2026-10-14 08:00Z",
        None,
        "2026-10-14 09:00Z",
        "2026-10-14 10:00Z",
        "successful",
        "email",
        False,
        False,
    ),
    (
        "C4",
        "normal",
        "2026-10-28 08:00Z",
        "2026-10-29 08:00Z",
        "2026-11-01 09:00Z",
        "2026-11-02 10:00Z",
        "unsuccessful",
        "erp",
        False,
        False,
    ),
]

SLA = [
    # sla_id parts, breached, breach_at, stopped_at, started_at
    ("T1", "resolution", True, "2026-10-02 14:00Z", "2026-10-03 10:00Z", "2026-10-02 09:00Z"),
    ("T1", "response", False, None, "2026-10-02 09:10Z", "2026-10-02 09:00Z"),
    ("T2", "resolution", True, "2026-11-01 01:00Z", None, "2026-10-05 09:00Z"),
    ("T3", "resolution", True, "2026-09-01 13:00Z", "2026-09-02 09:00Z", "2026-09-01 09:00Z"),
]

CHECKS = [
    # run_id, check_name, severity, passed, checked_at
    ("r0", "tickets_not_null", "blocking", True, "2026-09-10 06:00Z"),
    ("r1", "tickets_not_null", "blocking", True, "2026-10-15 06:00Z"),
    ("r1", "priority_in_set", "warning", False, "2026-10-15 06:00Z"),
    ("r2", "tickets_not_null", "blocking", True, "2026-11-20 06:00Z"),
    ("r2", "priority_in_set", "warning", None, "2026-11-20 06:00Z"),
]


def insert_raw(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    row: dict[str, object],
    load_id: int,
    number: int,
    file: str | None = None,
) -> None:
    """Append one contract row to raw.<table> with lineage, as the loader would."""
    file = file or next(f for i, f, _, _ in LOADS if i == load_id)
    sha = next((s for i, _, s, _ in LOADS if i == load_id), "0" * 64)
    columns = TABLES[table].column_names
    values = [row.get(c) for c in columns] + [file, sha, number, "2026-11-21 00:00Z", load_id]
    names = ", ".join([*columns, "_source_file", "_file_sha256", "_row_number", "_loaded_at", "_load_id"])
    conn.execute(f"insert into raw.{table} ({names}) values ({', '.join('?' for _ in values)})", values)


def build_hand_warehouse(path: Path) -> Path:
    conn = duckdb.connect(str(path))
    conn.execute("SET TimeZone = 'UTC'")
    ensure_raw_schema(conn)
    for load_id, file, sha, rows in LOADS:
        conn.execute(
            """insert into raw.load_log (load_id, source_file, file_sha256, adapter, status, rows_read,
               rows_loaded, rows_quarantined, tables_loaded, started_at, finished_at)
               values (?, ?, ?, 'canonical', 'loaded', ?, ?, 0, '{}', '2026-11-21 00:00Z', '2026-11-21 00:01Z')""",
            [load_id, file, sha, rows, rows],
        )
    for n, (tid, opened, resolved, service, assignee, caller, change, load) in enumerate(TICKETS, 1):
        row = {
            "ticket_id": tid, "ticket_type": "incident", "opened_at": opened, "resolved_at": resolved,
            "state": "resolved" if resolved else "in_progress", "priority": 2, "service": service,
            "assignment_group": "service_desk", "assignee": assignee, "caller": caller, "caused_by_change": change,
        }  # fmt: skip
        insert_raw(conn, "tickets", row, load, n)
    for n, (cid, ctype, req, appr, start, end, code, service, *_rest) in enumerate(CHANGES, 1):
        row = {
            "change_id": cid, "change_type": ctype, "requested_at": req, "approved_at": appr,
            "actual_start": start, "actual_end": end, "close_code": code, "service": service,
        }  # fmt: skip
        insert_raw(conn, "changes", row, 2, n)
    outage = {
        "outage_id": "O1", "service": "erp", "started_at": "2026-10-10 10:00Z", "ended_at": "2026-10-10 11:00Z",
        "outage_type": "unplanned", "change_id": "C1",
    }  # fmt: skip
    insert_raw(conn, "outages", outage, 3, 1)
    survey = {
        "survey_id": "S1", "ticket_id": "T1", "sent_at": "2026-10-04 09:00Z", "responded_at": "2026-10-04 10:00Z",
        "csat_score": 2, "comment": "Alice Smith never called back",
    }  # fmt: skip
    insert_raw(conn, "surveys", survey, 5, 1)

    # Staging views: the real ones keep the latest row per key; every key here is loaded once.
    conn.execute("create schema staging")
    for table in TABLES:
        conn.execute(f"create view staging.stg_raw__{table} as select * from raw.{table}")

    conn.execute("create schema marts")
    conn.execute(
        """create table marts.fct_change as
           select change_id, change_type, null::varchar as risk, service, null::varchar as ci,
                  'change_team' as assignment_group, 'closed' as state, close_code, requested_at, approved_at,
                  null::timestamptz as planned_start, null::timestamptz as planned_end, actual_start, actual_end,
                  date_trunc('month', coalesce(actual_end, actual_start))::date as change_month,
                  close_code in ('unsuccessful', 'backed_out') as is_failed_or_backed_out,
                  change_type = 'emergency' as is_emergency,
                  date_diff('second', requested_at, actual_end) / 3600.0 as lead_time_hours,
                  0.0 as overrun_hours, false as overran_planned_window
           from raw.changes"""
    )
    conn.execute("alter table marts.fct_change add column is_unauthorized boolean")
    conn.execute("alter table marts.fct_change add column is_change_failure boolean")
    conn.execute("alter table marts.fct_change add column linked_incidents integer")
    conn.execute("alter table marts.fct_change add column linked_unplanned_outages integer")
    conn.execute("alter table marts.fct_change add column caused_outage_hours double")
    for cid, *_mid, unauthorized, failure in CHANGES:
        conn.execute(
            """update marts.fct_change set is_unauthorized = ?, is_change_failure = ?,
               linked_incidents = ?, linked_unplanned_outages = ?, caused_outage_hours = ? where change_id = ?""",
            [unauthorized, failure, int(failure), int(failure), 1.0 if failure else 0.0, cid],
        )

    conn.execute(
        """create table marts.fct_ticket_sla (
            sla_id varchar, ticket_id varchar, ticket_type varchar, metric varchar, cycle_no integer,
            policy_id varchar, initial_policy_id varchar, policy_changed boolean, priority integer,
            calendar_id varchar, target_minutes integer, target_seconds bigint, started_at timestamptz,
            stopped_at timestamptz, stop_state varchar, elapsed_business_seconds bigint,
            paused_business_seconds bigint, elapsed_calendar_seconds bigint, breach_at timestamptz,
            breached boolean, sla_state varchar, time_left_business_seconds bigint, pause_clamped boolean,
            as_of timestamptz)"""
    )
    conn.execute(
        """create table marts.fct_sla_explain (
            sla_id varchar, ticket_id varchar, metric varchar, cycle_no integer, piece_no integer, state varchar,
            clock varchar, policy_id varchar, priority integer, calendar_id varchar, target_seconds bigint,
            piece_start timestamptz, piece_end timestamptz, measured_end timestamptz, calendar_seconds bigint,
            business_seconds bigint, outside_hours_seconds bigint, counted_seconds bigint, paused_seconds bigint,
            counted_before_seconds bigint, counted_after_seconds bigint, pause_clamped boolean,
            target_crossed_at timestamptz)"""
    )
    for tid, metric, breached, breach_at, stopped, started in SLA:
        sla_id = f"{tid}:{metric}:1"
        state = "breached" if breached else "met"
        conn.execute(
            """insert into marts.fct_ticket_sla values (?, ?, 'incident', ?, 1, 'INC-P2', 'INC-P2', false, 2,
               'uk_business', 240, 14400, ?, ?, 'resolved', 18000, 0, 18000, ?, ?, ?, null, false,
               '2026-11-21 00:00Z')""",
            [sla_id, tid, metric, started, stopped, breach_at, breached, state],
        )
        # Two trace pieces per clock: counted, then paused.
        for piece, clock in ((1, "counted"), (2, "paused")):
            conn.execute(
                """insert into marts.fct_sla_explain values (?, ?, ?, 1, ?, 'in_progress', ?, 'INC-P2', 2,
                   'uk_business', 14400, ?, ?, ?, 3600, 3600, 0, 3600, 0, 0, 3600, false, ?)""",
                [sla_id, tid, metric, piece, clock, started, stopped, stopped, breach_at if piece == 1 else None],
            )

    conn.execute(
        """create table marts.audit_build_info as
           select 'inv-123' as dbt_invocation_id, '1.11.16' as dbt_version,
                  timestamptz '2026-11-21 00:05:00Z' as built_at, 'dagster' as invoked_by,
                  '/tmp/x/target/itsm_dbt_models-4f2a9c1-0b1c2d3' as dbt_target_path"""
    )

    ensure_results_table(conn)
    for run_id, name, severity, passed, checked_at in CHECKS:
        conn.execute(
            """insert into dq.check_results (run_id, check_name, asset, severity, passed, observed_value,
               failing_row_count, failing_keys_sample, checked_at, status, check_type, engine, details)
               values (?, ?, 'raw.tickets', ?, ?, 0.0, 0, '[]', ?, ?, 'not_null', 'sql', 'hand-made')""",
            [run_id, name, severity, passed, checked_at,
             "passed" if passed else ("not_applicable" if passed is None else "failed")],
        )  # fmt: skip
    conn.close()
    return path


def record_check_run(path: Path, acknowledged: tuple[tuple[str, str, str], ...] = ()) -> None:
    """Run every data-quality check on the warehouse and record one complete check run, as `itsm check` does: the
    publishing gate (data_quality/run_steps.py) refuses a warehouse that was never checked. `acknowledged`:
    (check, key, reason) of planted bad values the test needs in its data, accepted before the checks run."""
    from data_quality.acknowledgements import acknowledge
    from data_quality.results import new_run_id, write_results
    from data_quality.run_steps import STEPS, publish_problem, record_step
    from data_quality.runner import run_all

    with duckdb.connect(str(path)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        for check, key, reason in acknowledged:
            acknowledge(conn, check, key, reason, by="test fixture")
        results = run_all(conn)
        run_id = new_run_id()
        write_results(conn, run_id, results)
        for step in STEPS:
            record_step(conn, run_id, step, len(results))
        problem = publish_problem(conn)
    assert problem is None, problem
