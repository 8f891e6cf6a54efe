"""`itsm run` and `itsm status`: materialize everything, and show what has been loaded."""

from __future__ import annotations

import argparse
import contextlib
import enum
import json
import os
import signal
import subprocess
import sys
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipelines.child_process import die_with_parent
from pipelines.commands import invoke
from pipelines.errors import WarehouseBusy, WarehouseDamaged
from pipelines.settings import PROJECT_ROOT, Settings


class Engine(enum.StrEnum):
    """Where `itsm run` builds the dbt models."""

    duckdb = "duckdb"
    spark = "spark"


if TYPE_CHECKING:
    from dagster import DagsterInstance

RUN_HELP = "ingest new exports from the inbox and materialize every asset (dbt, checks, dashboards)"
STATUS_HELP = "show whether the last run completed, recent file loads and raw table sizes"


def register(app: typer.Typer) -> None:
    @app.command(
        "run",
        short_help=RUN_HELP,
        help=(
            "Ingest new exports from the inbox and materialize every asset (dbt, checks, dashboards).\n\n"
            "Runs the Dagster job `itsm_refresh` in this process: ingest the inbox, build all dbt models and "
            "tests, run the data-quality checks and write the dashboards. dbt recomputes only the tickets touched "
            "by new loads (plus those with a running SLA clock) unless --full-refresh is given.\n\n"
            "Prints one line per step and ends with a summary: files loaded / skipped / rejected, rows "
            "quarantined, failed checks by severity, the headline KPIs that moved most since the last run, and "
            "where the outputs are. The full Dagster and dbt log goes to a file under ITSM_OUTPUT_DIR/logs "
            "(or to the terminal with --verbose).\n\n"
            "Holds the warehouse for the whole run: a second run waits up to ITSM_WAREHOUSE_WAIT_SECONDS "
            "(default 60) and then refuses; readers read the analyst snapshot meanwhile. SIGTERM / Ctrl+C stop the "
            "run and its dbt child and publish nothing.\n\n"
            "Exit code 0 when every step succeeded, 1 when a step failed or the warehouse stayed busy, 2 when "
            "nothing was run (e.g. the inbox folder does not exist), 130 when stopped."
        ),
    )
    def run(
        full_refresh: Annotated[
            bool,
            typer.Option(
                "--full-refresh",
                help="rebuild every dbt model from scratch and check every row again (the run's config says so in "
                "Dagster); needed after an upgrade that changes a per-ticket model's columns. A damaged warehouse is "
                "renamed aside (kept) and rebuilt from the inbox",
            ),
        ] = False,
        verbose: Annotated[
            bool,
            typer.Option("--verbose", "-v", help="print the full Dagster and dbt log instead of one line per step"),
        ] = False,
        engine: Annotated[
            Engine,
            typer.Option(
                "--engine",
                help="where the dbt models build: duckdb (the Dagster job) or spark (ingest, a full dbt build on a "
                "local Spark copied back into the warehouse, checks, report, snapshot: needs `make setup-spark`; "
                "README, Running on Spark / Databricks)",
            ),
        ] = Engine.duckdb,
    ) -> None:
        invoke(cmd_run, locals())

    @app.command(
        "status",
        short_help=STATUS_HELP,
        help="Show whether the last run completed, recent file loads and raw table sizes.\n\n"
        "The first line says whether the last `itsm run` completed, failed or was interrupted, and when. Then "
        "the newest file loads from raw.load_log (status, rows read / loaded / quarantined, when, which file, "
        "and why a file was rejected), then the row count of every raw table. Never blocks a run: reads the "
        "live warehouse read-only when no run is writing it, else the analyst snapshot.",
    )
    def status(
        limit: Annotated[int, typer.Option(help="how many recent loads to list")] = 20,
    ) -> None:
        invoke(cmd_status, locals())


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def inbox_problem(inbox: Path) -> str | None:
    """Why a run cannot read this inbox, or None. A missing inbox is a mistyped ITSM_INBOX far more often than
    an empty day, so it stops the run instead of quietly loading nothing."""
    if not inbox.exists():
        return (
            f"the inbox folder {inbox} does not exist. Set ITSM_INBOX to the folder your exports land in, or create "
            "it (`itsm demo-data` writes demo exports there). Nothing was run."
        )
    if not inbox.is_dir():
        return f"the inbox {inbox} is not a folder (ITSM_INBOX must name a folder of exports). Nothing was run."
    return None


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
    from pipelines.warehouse import writer_active

    if record.get("status") == "running" and not writer_active(warehouse):
        record["status"] = "interrupted"
    return record


def dagster_home() -> str:
    """The folder of the Dagster instance `itsm` records runs in: DAGSTER_HOME when set (the Makefile, tests), else
    the project folder, whose dagster.yaml keeps run history under .dagster/, not the home directory."""
    return os.environ.get("DAGSTER_HOME") or str(PROJECT_ROOT)


def project_instance() -> DagsterInstance:
    """The Dagster instance of `dagster_home()`."""
    from dagster import DagsterInstance

    return DagsterInstance.from_config(dagster_home())


def refresh_run_config(full_refresh: bool, log_level: str = "INFO") -> dict[str, Any]:
    """The run config of `itsm run`: its log level, and `--full-refresh` as the warehouse resource's full_refresh
    (read by the dbt build and the data-quality checks); without it the run keeps the default (ITSM_FULL_REFRESH)."""
    run_config: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if full_refresh:
        run_config["resources"] = {"warehouse": {"config": {"full_refresh": True}}}
    return run_config


def run_refresh(
    run_id: str | None = None, listener: Any = None, log_level: str = "INFO", full_refresh: bool = False
) -> bool:
    """Materialize the refresh job in-process, recorded in the project's Dagster instance; `listener` gets every
    event of the run as it happens (see run_display.StepDisplay)."""
    from pipelines.definitions import defs

    run_id = run_id or str(uuid.uuid4())
    job = defs.resolve_job_def("itsm_refresh")
    with project_instance() as instance:
        fail_abandoned_runs(instance)
        if listener is not None:
            instance.add_event_listener(run_id, listener)
        run_config = refresh_run_config(full_refresh, log_level)
        result = job.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False, run_id=run_id)
    return result.success


def quiet_refresh(run_id: str, log_path: Path, full_refresh: bool = False) -> tuple[bool, list[str]]:
    """The run with its log in `log_path` and one line per step on the terminal; returns (success, failures)."""
    from pipelines.commands.output import console
    from pipelines.commands.run_display import StepDisplay, output_to_file

    with output_to_file(log_path) as screen, StepDisplay(console(screen)) as display:
        try:
            with display.phase("loading the pipeline definitions"):
                import pipelines.definitions  # noqa: F401  (dbt manifest check and Dagster imports: long, and they emit no events)
            ok = run_refresh(run_id, display, full_refresh=full_refresh)
        except Exception:
            traceback.print_exc()  # into the log, beside the output of whatever failed (e.g. `dbt parse`)
            raise
    return ok, display.failures


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


def worker_command(run_id: str, log_path: Path | None, full_refresh: bool) -> list[str]:
    """The command line of the process that executes one `itsm run` (pipelines/commands/run_worker.py)."""
    command = [sys.executable, "-m", "pipelines.commands.run_worker", run_id]
    if full_refresh:
        command.append("--full-refresh")
    if log_path is not None:
        command += ["--log", str(log_path)]
    return command


def _run_in_child(
    warehouse: Path, run_id: str, lock_fd: int | None, stop: _Stop, log_path: Path | None, full_refresh: bool
) -> int:
    """Execute the run in a child process of its own process group, which dies with this one (PR_SET_PDEATHSIG)
    and takes dbt with it; a stop request kills that whole group. The child prints its step lines to this
    terminal; with `log_path` (quiet mode) the Dagster and dbt log goes there. Returns the child's exit code."""
    from pipelines.warehouse import HELD_BY_PARENT_ENV

    env = {**os.environ, HELD_BY_PARENT_ENV: str(warehouse), "DAGSTER_HOME": dagster_home()}
    command = worker_command(run_id, log_path, full_refresh)
    proc = subprocess.Popen(
        command,
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
    if getattr(args, "engine", Engine.duckdb) == Engine.spark:
        from pipelines.commands.spark_run import run_on_spark

        return run_on_spark(Settings.from_env(), full_refresh=args.full_refresh)
    import duckdb

    from pipelines.commands.output import print_lines
    from pipelines.ingest.loader import inbox_files
    from pipelines.summary import before_run, run_summary_lines

    settings = Settings.from_env()
    from pipelines.warehouse import snapshot_path, writer_lock

    warehouse = settings.warehouse_path
    problem = inbox_problem(settings.inbox_dir)
    if problem:
        return _fail(problem, 2)
    files_seen = len(inbox_files(settings.inbox_dir))
    print(f"warehouse: {warehouse}\ninbox:     {settings.inbox_dir} ({files_seen} files)", flush=True)
    stop = _Stop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    run_id = str(uuid.uuid4())
    started = datetime.now(UTC)
    log_path = (
        None if args.verbose else settings.output_dir / "logs" / f"itsm-run-{started:%Y%m%dT%H%M%SZ}-{run_id[:8]}.log"
    )
    record = {
        "run_id": run_id,
        "pid": os.getpid(),
        "started_at": started.isoformat(timespec="seconds"),
        "status": "running",
    }
    try:
        # The writer lock for the whole run: dbt's own connections are covered, readers read the snapshot meanwhile,
        # and a second run waits here (up to ITSM_WAREHOUSE_WAIT_SECONDS) instead of colliding.
        with writer_lock(warehouse, what=f"itsm run {run_id[:8]}") as lock_fd:
            if args.full_refresh:
                set_aside_if_damaged(warehouse)
            before = before_run(warehouse)
            _write_record(warehouse, record)
            code = None
            try:
                code = _run_in_child(warehouse, run_id, lock_fd, stop, log_path, args.full_refresh)
            finally:
                status = "succeeded" if code == 0 else ("interrupted" if stop.signal or code is None else "failed")
                if code not in (0, 1):  # stopped or killed: the run's process could not mark its Dagster run
                    _mark_dagster_run_failed(run_id, f"itsm run stopped ({stop.signal or f'exit code {code}'})")
                finished = datetime.now(UTC).isoformat(timespec="seconds")
                _write_record(warehouse, {**record, "status": status, "finished_at": finished})
            if stop.signal:
                print(f"\nrun interrupted by {stop.signal}: stopped with its dbt, nothing published", file=sys.stderr)
                return 130
            ok = code == 0
            outputs = {
                "warehouse": warehouse,
                "analyst copy": snapshot_path(warehouse),
                "report": settings.reports_dir / "itsm_report.html",
            }
            if log_path is not None:
                outputs["full log"] = log_path
            lines = ["", f"run {'succeeded' if ok else 'FAILED'} (Dagster run {run_id})"]
            try:
                summary = run_summary_lines(warehouse, run_id, before, outputs, files_seen)
            except duckdb.Error as err:  # the run's verdict stands even when the warehouse cannot be summarized
                summary = [f"summary not available: {str(err).splitlines()[0]}"]
            lines += ["  " + line for line in summary]
            if not ok:
                lines.append("  see the step errors above and the full log; `itsm check` lists failed checks")
            print_lines(lines)
    except WarehouseBusy as err:
        print(f"run not started: {err}", file=sys.stderr)
        return 1
    except WarehouseDamaged as err:
        print(str(err), file=sys.stderr)
        return 1
    return 0 if ok else 1


def _mark_dagster_run_failed(run_id: str, why: str) -> None:
    with project_instance() as instance:
        fail_abandoned_runs(instance, only=run_id, why=why)


def set_aside_if_damaged(warehouse: Path) -> None:
    """Before a full refresh: a damaged warehouse is renamed aside (kept, never deleted) so the run rebuilds a new
    one from the inbox."""
    if not warehouse.exists():
        return
    from pipelines.warehouse import warehouse_connection

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
    import duckdb

    from pipelines.commands.output import Column, print_table

    settings = Settings.from_env()
    from pipelines.warehouse import warehouse_connection

    print(_last_run_line(settings.warehouse_path))
    try:
        with warehouse_connection(settings.warehouse_path, read_only=True) as conn:
            loads = conn.execute(
                """select load_id, status, rows_read, rows_loaded, rows_quarantined,
                          strftime(finished_at, '%Y-%m-%d %H:%M:%S') as finished_utc, source_file, error
                   from raw.load_log order by load_id desc limit ?""",
                [int(args.limit)],
            ).fetchall()
            sizes = conn.execute(
                """select table_name, estimated_size as rows from duckdb_tables()
                   where schema_name = 'raw' order by table_name"""
            ).fetchall()
    except (FileNotFoundError, WarehouseBusy, WarehouseDamaged) as err:
        print(err, file=sys.stderr)
        return 1
    except duckdb.CatalogException:
        return _fail(f"nothing has been loaded into {settings.warehouse_path} yet: run `itsm run` or `itsm ingest`")
    print_table(
        [
            Column("load"),
            Column("status"),
            Column("read", "right"),
            Column("loaded", "right"),
            Column("quarantined", "right"),
            Column("finished (UTC)"),
            Column("file"),
            Column("error"),
        ],
        [(i, s, f"{r or 0:,}", f"{ld or 0:,}", f"{q or 0:,}", t, f, e or "") for i, s, r, ld, q, t, f, e in loads],
        title="Recent loads (newest first)",
    )
    print_table(
        [Column("raw table"), Column("rows", "right")],
        [(name, f"{rows:,}") for name, rows in sizes],
        title="Raw tables",
    )
    return 0
