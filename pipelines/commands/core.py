"""`itsm run` and `itsm status`: materialize everything, and show what has been loaded."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pipelines.child_process import die_with_parent
from pipelines.settings import Settings
from pipelines.warehouse import (
    HELD_BY_PARENT_ENV,
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


def run_refresh(run_id: str | None = None) -> bool:
    """Materialize the refresh job in-process, recorded in the project's Dagster instance."""
    from dagster import DagsterInstance

    from pipelines.definitions import defs

    job = defs.resolve_job_def("itsm_refresh")
    with DagsterInstance.get() as instance:
        fail_abandoned_runs(instance)
        # INFO, not Dagster's DEBUG default: one line per step and what it reported, readable as progress.
        run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
        result = job.execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=False, run_id=run_id or str(uuid.uuid4())
        )
    return result.success


def fail_abandoned_runs(instance: object, only: str | None = None, why: str = "") -> list[str]:
    """Mark refresh runs left STARTED (or not yet started) as failed: called while this process holds the warehouse
    for a run, so no other run can be going on; a run killed by SIGKILL left them so. `only`: just that run."""
    from dagster import DagsterRunStatus, RunsFilter

    statuses = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.NOT_STARTED]
    runs_filter = RunsFilter(job_name="itsm_refresh", statuses=statuses, run_ids=[only] if only else None)
    failed = []
    for run in instance.get_runs(filters=runs_filter):  # type: ignore[attr-defined]
        message = why or "itsm run: the process running it stopped before it finished (killed); marked failed"
        instance.report_run_failed(run, message=message)  # type: ignore[attr-defined]
        failed.append(run.run_id)
    return failed


class _Stop:
    """SIGTERM / SIGINT to `itsm run`: stop the run's process group at once and remember why."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self.group: int | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        self.signal = signal.Signals(signum).name
        if self.group is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.group, signal.SIGKILL)


def _run_in_child(warehouse: Path, run_id: str, lock_fd: int | None, stop: _Stop) -> int:
    """Execute the run in a child process of its own process group, which dies with this one (PR_SET_PDEATHSIG)
    and takes dbt with it; a stop request kills that whole group. Returns the child's exit code."""
    env = {**os.environ, HELD_BY_PARENT_ENV: str(warehouse)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.commands.run_worker", run_id],
        env=env,
        pass_fds=(lock_fd,) if lock_fd is not None else (),
        start_new_session=True,  # its own process group: dbt joins it, Ctrl+C reaches only this process
        preexec_fn=die_with_parent,
    )
    stop.group = proc.pid
    if stop.signal:  # a stop request arrived while the child was being started
        stop(signal.Signals[stop.signal], None)
    return proc.wait()


def cmd_run(args: argparse.Namespace) -> int:
    if args.full_refresh:
        os.environ["ITSM_FULL_REFRESH"] = "1"  # read by the dbt asset through Settings, in the run's process
    settings = Settings.from_env()
    warehouse = settings.warehouse_path
    print(f"warehouse: {warehouse}\ninbox:     {settings.inbox_dir}", flush=True)
    stop = _Stop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    run_id = str(uuid.uuid4())
    started = datetime.now(UTC).isoformat(timespec="seconds")
    record = {"run_id": run_id, "pid": os.getpid(), "started_at": started, "status": "running"}
    try:
        # The writer lock for the whole run: dbt's own connections are covered, readers read the snapshot meanwhile,
        # and a second run waits here (up to ITSM_WAREHOUSE_WAIT_SECONDS) instead of colliding.
        with writer_lock(warehouse, what=f"itsm run {run_id[:8]}") as lock_fd:
            if args.full_refresh:
                set_aside_if_damaged(warehouse)
            _write_record(warehouse, record)
            code = None
            try:
                code = _run_in_child(warehouse, run_id, lock_fd, stop)
            finally:
                status = "succeeded" if code == 0 else ("interrupted" if stop.signal or code is None else "failed")
                if code not in (0, 1):  # stopped or killed: the run's process could not mark its Dagster run
                    _mark_dagster_run_failed(run_id, f"itsm run stopped ({stop.signal or f'exit code {code}'})")
                finished = datetime.now(UTC).isoformat(timespec="seconds")
                _write_record(warehouse, {**record, "status": status, "finished_at": finished})
    except WarehouseBusy as err:
        print(f"run not started: {err}", file=sys.stderr)
        return 1
    except WarehouseDamaged as err:
        print(str(err), file=sys.stderr)
        return 1
    if stop.signal:
        print(f"\nrun interrupted by {stop.signal}: stopped with its dbt, nothing published", file=sys.stderr)
        return 130
    ok = code == 0
    print(f"\nrun {'succeeded' if ok else 'FAILED (see the step errors above; `itsm check` lists failed checks)'}")
    outputs = {
        "warehouse": warehouse,
        "analyst copy": snapshot_path(warehouse),
        "report": settings.reports_dir / "itsm_report.html",
    }
    for label, path in outputs.items():
        print(f"{label + ':':14}{path}{'' if path.exists() else '  (not written)'}")
    return 0 if ok else 1


def _mark_dagster_run_failed(run_id: str, why: str) -> None:
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        fail_abandoned_runs(instance, only=run_id, why=why)


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
