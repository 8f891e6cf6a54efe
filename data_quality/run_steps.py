"""Which check steps of a check run finished: the publishing gate's proof that a check run is complete.

A check run has two steps (raw checks after ingestion, staging / mart checks after dbt); each appends one row to
dq.check_steps once its results are recorded. No check run, a run with a step missing (killed during dbt, say) or
a blocking check failed or errored: `publish_problem` refuses to publish.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from data_quality.results import RESULTS_SCHEMA, RESULTS_TABLE, create_table, insert_rows, table_exists

STEPS_TABLE = f"{RESULTS_SCHEMA}.check_steps"
STEPS_COLUMNS = (
    ("run_id", "VARCHAR NOT NULL"),
    ("step", "VARCHAR NOT NULL"),  # one of STEPS
    ("checks", "BIGINT NOT NULL"),  # results the step recorded
    ("finished_at", "TIMESTAMPTZ NOT NULL"),
)
RAW_STEP, DBT_STEP = "dq_raw_tables", "dq_staging_and_marts"
STEPS = (RAW_STEP, DBT_STEP)


def record_step(conn: duckdb.DuckDBPyConnection, run_id: str, step: str, checks: int) -> None:
    """Append that `step` of `run_id` finished with `checks` results recorded."""
    create_table(conn, STEPS_TABLE, STEPS_COLUMNS)
    insert_rows(conn, STEPS_TABLE, len(STEPS_COLUMNS), [(run_id, step, checks, datetime.now(UTC))])


def publish_problem(conn: duckdb.DuckDBPyConnection) -> str | None:
    """Why the warehouse's numbers must not be published, or None: its latest check run must exist, have finished
    every step, and have no blocking check failed or errored."""
    latest = (
        table_exists(conn, RESULTS_TABLE)
        and conn.execute(f"select run_id from {RESULTS_TABLE} order by checked_at desc, run_id desc limit 1").fetchall()
    )
    if not latest:
        return "no data-quality check run is recorded in the warehouse (dq.check_results): run `itsm run` first"
    ((run_id,),) = latest
    failed = conn.execute(
        f"""select check_name from {RESULTS_TABLE} where run_id = ? and severity = 'blocking'
                and (passed is false or status = 'error') order by check_name""",
        [run_id],
    ).fetchall()
    if failed:
        names = ", ".join(dict.fromkeys(name for (name,) in failed))
        return f"the latest data-quality run ({run_id}) failed {len(failed)} blocking check(s): {names}"
    # Warehouses whose checks predate the step record (no dq.check_steps yet) are judged on their results alone.
    if table_exists(conn, STEPS_TABLE):
        done = {s for (s,) in conn.execute(f"select step from {STEPS_TABLE} where run_id = ?", [run_id]).fetchall()}
        missing = [s for s in STEPS if s not in done]
        if missing:
            return (
                f"the latest data-quality run ({run_id}) did not finish: step {', '.join(missing)} never completed "
                "(the run was interrupted or failed before it), so part of the data was never checked"
            )
    return None
