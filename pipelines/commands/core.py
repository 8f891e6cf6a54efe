"""`itsm run` and `itsm status`: materialize everything, and show what has been loaded."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pipelines.child_process import stop_children
from pipelines.settings import Settings
from pipelines.warehouse import (
    WarehouseBusy,
    WarehouseDamaged,
    snapshot_path,
    warehouse_connection,
    writer_active,
    writer_lock,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run",
        help="ingest new exports from the inbox and materialize every asset (dbt, checks, dashboards)",
        description=(
            "Runs the Dagster job `itsm_refresh` in this process: ingest the inbox, build all dbt models and "
            "tests, run the data-quality checks and write the dashboards. Exit code 1 when any step fails. "
            "dbt recomputes only the tickets touched by new loads (plus those with a running SLA clock) "
            "unless --full-refresh is given. Holds the warehouse for the whole run: a second run waits up to "
            "ITSM_WAREHOUSE_WAIT_SECONDS (default 60) and then refuses; readers read the analyst snapshot meanwhile. "
            "SIGTERM / Ctrl+C stop the run and its dbt child and publish nothing."
        ),
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every dbt model from scratch (same as ITSM_FULL_REFRESH=1); needed after an upgrade "
        "that changes a per-ticket model's columns. A damaged warehouse is renamed aside (kept) and rebuilt from "
        "the inbox",
    )
    run.set_defaults(handler=cmd_run)

    status = subparsers.add_parser(
        "status",
        help="show whether the last run completed, recent file loads with read / loaded / quarantined counts and "
        "raw table sizes",
        description=(
            "Never blocks a run: reads the live warehouse read-only when no run is writing it, else the analyst "
            "snapshot (pipelines/warehouse.py). The first line says whether the last `itsm run` completed, failed "
            "or was interrupted, and when."
        ),
    )
    status.add_argument("--limit", type=int, default=20, help="how many recent loads to list (default 20)")
    status.set_defaults(handler=cmd_status)


def run_record_path(warehouse: Path) -> Path:
    """`<warehouse>.last-run.json`: how the last `itsm run` went, readable without opening the warehouse."""
    return warehouse.with_name(f"{warehouse.name}.last-run.json")


def _write_record(warehouse: Path, record: dict[str, object]) -> None:
    path = run_record_path(warehouse)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(partial, path)


def read_run_record(warehouse: Path) -> dict[str, object] | None:
    """The last run's record; a run recorded as running whose process no longer holds the warehouse died."""
    try:
        record = json.loads(run_record_path(warehouse).read_text())
    except (OSError, ValueError):
        return None
    if record.get("status") == "running" and not writer_active(warehouse):
        record["status"] = "interrupted"
    return record


class RunInterrupted(BaseException):
    """SIGTERM or SIGINT arrived: stop the run (a BaseException, so no step handler takes it for a step error)."""


def _interrupt(signum: int, _frame: object) -> None:
    raise RunInterrupted(signal.Signals(signum).name)


def run_refresh(run_id: str | None = None) -> bool:
    """Materialize the refresh job in-process, recorded in the project's Dagster instance. Interrupted (SIGTERM,
    SIGINT), the Dagster run is marked failed, never left STARTED, and the interruption is raised on."""
    from dagster import DagsterInstance, DagsterRunStatus

    from pipelines.definitions import defs

    run_id = run_id or str(uuid.uuid4())
    job = defs.resolve_job_def("itsm_refresh")
    with DagsterInstance.get() as instance:
        # INFO, not Dagster's DEBUG default: one line per step and what it reported, readable as progress.
        run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
        try:
            result = job.execute_in_process(
                instance=instance, run_config=run_config, raise_on_error=False, run_id=run_id
            )
        except BaseException as err:
            run = instance.get_run_by_id(run_id)
            if run is not None and run.status not in (
                DagsterRunStatus.SUCCESS,
                DagsterRunStatus.FAILURE,
                DagsterRunStatus.CANCELED,
            ):
                instance.report_run_failed(run, message=f"itsm run stopped: {type(err).__name__} {err}")
            raise
    return result.success


def cmd_run(args: argparse.Namespace) -> int:
    if args.full_refresh:
        os.environ["ITSM_FULL_REFRESH"] = "1"  # read by the dbt asset through Settings, in this process
    settings = Settings.from_env()
    warehouse = settings.warehouse_path
    print(f"warehouse: {warehouse}\ninbox:     {settings.inbox_dir}", flush=True)
    # A stop request ends the run in this process; dbt, started through pipelines/child_process.py, dies with it.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _interrupt)
    run_id = str(uuid.uuid4())
    started = datetime.now(UTC).isoformat(timespec="seconds")
    record = {"run_id": run_id, "pid": os.getpid(), "started_at": started, "status": "running"}
    ok, why = False, ""
    try:
        # The writer lock for the whole run: dbt's own connections are covered, readers read the snapshot meanwhile,
        # and a second run waits here (up to ITSM_WAREHOUSE_WAIT_SECONDS) instead of colliding.
        with writer_lock(warehouse, what=f"itsm run {run_id[:8]}"):
            if args.full_refresh:
                set_aside_if_damaged(warehouse)
            _write_record(warehouse, record)
            try:
                ok = run_refresh(run_id)
            except RunInterrupted as err:
                why = f"interrupted by {err}"
                stop_children()  # dbt (and any other child) stops before the warehouse is let go
            finally:
                status = "succeeded" if ok else ("interrupted" if why else "failed")
                finished = datetime.now(UTC).isoformat(timespec="seconds")
                _write_record(warehouse, {**record, "status": status, "finished_at": finished})
    except WarehouseBusy as err:
        print(f"run not started: {err}", file=sys.stderr)
        return 1
    except WarehouseDamaged as err:
        print(str(err), file=sys.stderr)
        return 1
    if why:
        print(f"\nrun {why}: stopped, nothing published (the next `itsm run` starts over)", file=sys.stderr)
        return 130
    print(f"\nrun {'succeeded' if ok else 'FAILED (see the step errors above; `itsm check` lists failed checks)'}")
    outputs = {
        "warehouse": warehouse,
        "analyst copy": snapshot_path(warehouse),
        "report": settings.reports_dir / "itsm_report.html",
    }
    for label, path in outputs.items():
        print(f"{label + ':':14}{path}{'' if path.exists() else '  (not written)'}")
    return 0 if ok else 1


def set_aside_if_damaged(warehouse: Path) -> None:
    """Before a full refresh: a damaged warehouse is renamed aside (kept, never deleted) so the run rebuilds a new
    one from the inbox."""
    if not warehouse.exists():
        return
    try:
        with warehouse_connection(warehouse):
            return
    except WarehouseDamaged as err:
        aside = warehouse.with_name(f"{warehouse.name}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        os.replace(warehouse, aside)
        wal = warehouse.with_name(f"{warehouse.name}.wal")
        if wal.exists():
            os.replace(wal, aside.with_name(f"{aside.name}.wal"))
        print(f"{err}\nthe damaged file is kept as {aside}; rebuilding from the inbox", file=sys.stderr, flush=True)


def _last_run_line(warehouse: Path) -> str:
    record = read_run_record(warehouse)
    if record is None:
        return "Last run: none recorded (`itsm run` writes one)"
    status = record.get("status")
    finished = record.get("finished_at")
    if status == "running":
        return f"Last run: RUNNING since {record.get('started_at')} (pid {record.get('pid')}, run {record['run_id']})"
    if status == "succeeded":
        return f"Last run: completed {finished} (started {record.get('started_at')}, run {record['run_id']})"
    if status == "interrupted":
        return (
            f"Last run: INTERRUPTED, did not complete (started {record.get('started_at')}, run {record['run_id']}); "
            "nothing of it was published: run `itsm run` again"
        )
    return (
        f"Last run: FAILED {finished} (started {record.get('started_at')}, run {record['run_id']}); "
        "`itsm check` lists failed checks"
    )


def cmd_status(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    print(_last_run_line(settings.warehouse_path))
    try:
        with warehouse_connection(settings.warehouse_path, read_only=True) as conn:
            loads = conn.sql(
                f"""select load_id, status, rows_read, rows_loaded, rows_quarantined,
                           strftime(finished_at, '%Y-%m-%d %H:%M:%S') as finished_utc, source_file, error
                    from raw.load_log order by load_id desc limit {int(args.limit)}"""
            )
            print("Recent loads (newest first):")
            loads.show(max_width=200)
            sizes = conn.sql(
                """select table_name, estimated_size as rows from duckdb_tables()
                   where schema_name = 'raw' order by table_name"""
            )
            print("Raw tables:")
            sizes.show()
    except (FileNotFoundError, WarehouseBusy, WarehouseDamaged) as err:
        print(err, file=sys.stderr)
        return 1
    return 0
