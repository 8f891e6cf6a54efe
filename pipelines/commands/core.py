"""`itsm run` and `itsm status`: materialize everything, and show what has been loaded."""

from __future__ import annotations

import argparse
import os
import sys

from pipelines.extracts.connection import snapshot_path
from pipelines.settings import Settings
from pipelines.warehouse import warehouse_connection


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run",
        help="ingest new exports from the inbox and materialize every asset (dbt, checks, dashboards)",
        description=(
            "Runs the Dagster job `itsm_refresh` in this process: ingest the inbox, build all dbt models and "
            "tests, run the data-quality checks and write the dashboards. Exit code 1 when any step fails. "
            "dbt recomputes only the tickets touched by new loads (plus those with a running SLA clock) "
            "unless --full-refresh is given."
        ),
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every dbt model from scratch (same as ITSM_FULL_REFRESH=1); needed after an upgrade "
        "that changes a per-ticket model's columns",
    )
    run.set_defaults(handler=cmd_run)

    status = subparsers.add_parser(
        "status",
        help="show recent file loads with read / loaded / quarantined counts and raw table sizes",
        description="Reads the warehouse read-only; safe while a run is writing.",
    )
    status.add_argument("--limit", type=int, default=20, help="how many recent loads to list (default 20)")
    status.set_defaults(handler=cmd_status)


def run_refresh() -> bool:
    """Materialize the refresh job in-process, recorded in the project's Dagster instance."""
    from dagster import DagsterInstance

    from pipelines.definitions import defs

    job = defs.resolve_job_def("itsm_refresh")
    with DagsterInstance.get() as instance:
        # INFO, not Dagster's DEBUG default: one line per step and what it reported, readable as progress.
        run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
        result = job.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False)
    return result.success


def cmd_run(args: argparse.Namespace) -> int:
    if args.full_refresh:
        os.environ["ITSM_FULL_REFRESH"] = "1"  # read by the dbt asset through Settings, in this process
    settings = Settings.from_env()
    print(f"warehouse: {settings.warehouse_path}\ninbox:     {settings.inbox_dir}", flush=True)
    ok = run_refresh()
    print(f"\nrun {'succeeded' if ok else 'FAILED (see the step errors above; `itsm check` shows failed checks)'}")
    outputs = {
        "warehouse": settings.warehouse_path,
        "analyst copy": snapshot_path(settings.warehouse_path),
        "report": settings.reports_dir / "itsm_report.html",
    }
    for label, path in outputs.items():
        print(f"{label + ':':14}{path}{'' if path.exists() else '  (not written)'}")
    lines = unclassified_lines(settings)
    if lines:
        print("\nCould not classify (counted, not dropped; also in the report's data-quality section):")
        for line in lines:
            print(f"  {line}")
    return 0 if ok else 1


def unclassified_lines(settings: Settings) -> list[str]:
    """What the run could not classify (data_quality/unclassified.py); none when the warehouse cannot be read."""
    import duckdb

    from data_quality.unclassified import unclassified_summary

    try:
        with warehouse_connection(settings.warehouse_path, read_only=True) as conn:
            return unclassified_summary(conn)
    except (FileNotFoundError, duckdb.Error):
        return []


def cmd_status(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
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
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    return 0
