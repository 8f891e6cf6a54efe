"""`itsm run` and `itsm status`: materialize everything, and show what has been loaded."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from pipelines.commands import invoke
from pipelines.settings import Settings

RUN_HELP = "ingest new exports from the inbox and materialize every asset (dbt, checks, dashboards)"
STATUS_HELP = "show recent file loads with read / loaded / quarantined counts and raw table sizes"


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
            "Exit code 0 when every step succeeded, 1 when a step failed, 2 when nothing was run (e.g. the inbox "
            "folder does not exist)."
        ),
    )
    def run(
        full_refresh: Annotated[
            bool,
            typer.Option(
                "--full-refresh",
                help="rebuild every dbt model from scratch (same as ITSM_FULL_REFRESH=1); needed after an upgrade "
                "that changes a per-ticket model's columns",
            ),
        ] = False,
        verbose: Annotated[
            bool,
            typer.Option("--verbose", "-v", help="print the full Dagster and dbt log instead of one line per step"),
        ] = False,
    ) -> None:
        invoke(cmd_run, locals())

    @app.command(
        "status",
        short_help=STATUS_HELP,
        help="Show recent file loads with read / loaded / quarantined counts and raw table sizes.\n\n"
        "Lists the newest file loads from raw.load_log (status, rows read / loaded / quarantined, when, which "
        "file, and why a file was rejected), then the row count of every raw table. Reads the warehouse "
        "read-only; safe while a run is writing.",
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


def run_refresh(run_id: str | None = None, listener: Any = None, log_level: str = "INFO") -> bool:
    """Materialize the refresh job in-process, recorded in the project's Dagster instance; `listener` gets every
    event of the run as it happens (see run_display.StepDisplay)."""
    from dagster import DagsterInstance

    from pipelines.definitions import defs

    run_id = run_id or str(uuid.uuid4())
    job = defs.resolve_job_def("itsm_refresh")
    with DagsterInstance.get() as instance:
        if listener is not None:
            instance.add_event_listener(run_id, listener)
        run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
        result = job.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False, run_id=run_id)
    return result.success


def _quiet_refresh(run_id: str, log_path: Path) -> tuple[bool, list[str]]:
    """The run with its log in `log_path` and one line per step on the terminal; returns (success, failures)."""
    from pipelines.commands.output import console
    from pipelines.commands.run_display import StepDisplay, output_to_file

    with output_to_file(log_path) as screen, StepDisplay(console(screen)) as display:
        try:
            with display.phase("loading the pipeline definitions"):
                import pipelines.definitions  # noqa: F401  (dbt manifest check and Dagster imports: seconds, no events)
            ok = run_refresh(run_id, display)
        except Exception:
            traceback.print_exc()  # into the log, beside the output of whatever failed (e.g. `dbt parse`)
            raise
    return ok, display.failures


def cmd_run(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.commands.output import print_lines
    from pipelines.extracts.connection import snapshot_path
    from pipelines.ingest.loader import inbox_files
    from pipelines.summary import before_run, run_summary_lines

    if args.full_refresh:
        os.environ["ITSM_FULL_REFRESH"] = "1"  # read by the dbt asset through Settings, in this process
    settings = Settings.from_env()
    problem = inbox_problem(settings.inbox_dir)
    if problem:
        return _fail(problem, 2)
    try:
        before = before_run(settings.warehouse_path)
    except duckdb.IOException as err:
        return _fail(f"cannot open the warehouse (is another run writing?): {err}. Nothing was run.", 2)
    files_seen = len(inbox_files(settings.inbox_dir))
    print(f"warehouse: {settings.warehouse_path}\ninbox:     {settings.inbox_dir} ({files_seen} files)", flush=True)

    run_id = str(uuid.uuid4())
    log_path = settings.output_dir / "logs" / f"itsm-run-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{run_id[:8]}.log"
    failures: list[str] = []
    if args.verbose:
        ok = run_refresh(run_id)
    else:
        try:
            ok, failures = _quiet_refresh(run_id, log_path)
        except Exception as err:
            return _fail(f"the run could not start: {type(err).__name__}: {err}\n  full log: {log_path}")

    outputs = {
        "warehouse": settings.warehouse_path,
        "analyst copy": snapshot_path(settings.warehouse_path),
        "report": settings.reports_dir / "itsm_report.html",
    }
    if not args.verbose:
        outputs["full log"] = log_path
    verdict = "run succeeded" if ok else "run FAILED"
    lines = ["", f"{verdict} (Dagster run {run_id})"]
    lines += [f"  failed: {line}" for failure in failures for line in failure.splitlines()[:1]]
    try:
        summary = run_summary_lines(settings.warehouse_path, run_id, before, outputs, files_seen)
    except duckdb.Error as err:  # the run's verdict stands even when the warehouse cannot be summarized
        summary = [f"summary not available: {str(err).splitlines()[0]}"]
    lines += ["  " + line for line in summary]
    if not ok:
        lines.append("  see the step errors above and the full log; `itsm check` lists failed checks")
    print_lines(lines)
    return 0 if ok else 1


def cmd_status(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.commands.output import Column, print_table
    from pipelines.warehouse import warehouse_connection

    settings = Settings.from_env()
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
    except FileNotFoundError as err:
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
