"""`itsm check`: run every data-quality check on the warehouse, print a summary, record it in dq.check_results."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.commands import invoke
from pipelines.settings import DBT_PROJECT_DIR, Settings

if TYPE_CHECKING:
    from data_quality.specs import CheckResult


CHECK_HELP = "run all data-quality checks (GX suites, volume, freshness, reconciliation) and print a summary"


def register(app: typer.Typer) -> None:
    @app.command(
        "check",
        short_help=CHECK_HELP,
        help=(
            "Run all data-quality checks (GX suites, volume, freshness, reconciliation) and print a summary.\n\n"
            "Runs every check defined in data_quality/suites.py on the warehouse, adds the outcomes of the last "
            "dbt build's tests (run_results.json), appends everything to dq.check_results and prints one line per "
            "check, then the failed checks by severity.\n\n"
            "Exit code 1 when a blocking check failed or errored, 0 otherwise (warnings do not fail)."
        ),
    )
    def check(
        as_of: Annotated[
            datetime | None,
            typer.Option(
                "--as-of",
                parser=_timestamp,
                metavar="TIMESTAMP",
                help="reference time for freshness, ISO 8601 (default: now, UTC)",
            ),
        ] = None,
        dbt_target: Annotated[
            Path | None,
            typer.Option(
                "--dbt-target",
                help="dbt target folder whose newest run_results.json to record "
                "(default: $DBT_TARGET_PATH or dbt_project/target, searched recursively)",
            ),
        ] = None,
        failures_only: Annotated[
            bool, typer.Option("--failures-only", help="list only checks that did not pass")
        ] = False,
        no_record: Annotated[
            bool,
            typer.Option(
                "--no-record",
                help="do not append to dq.check_results; opens the warehouse read-only (the analyst snapshot while "
                "a run writes), so it never delays a run",
            ),
        ] = False,
    ) -> None:
        invoke(cmd_check, locals())

    dq = typer.Typer(
        help="Commands on the data-quality records people keep beside the automatic checks.",
        no_args_is_help=True,
    )
    app.add_typer(
        dq,
        name="dq",
        short_help="data-quality records kept by people: acknowledge a rejected value that cannot be corrected",
    )

    @dq.command(
        "acknowledge",
        short_help="accept a rejected value of one key for one row rule, with the reason (append-only, kept for audit)",
        help=(
            "Accept a rejected value of one key for one row rule, with the reason.\n\n"
            "Records in dq.acknowledgements (append-only) that CHECK's failure on KEY is accepted: the value cannot "
            "be corrected at the source. From the next check on, CHECK leaves KEY's rows out and says how many keys "
            "are acknowledged; the report and the data-quality extract list every acknowledgement. Only row rules "
            "(the GX suites of data_quality/suites.py) can be acknowledged. KEY as the check's failing keys show "
            "it: on a raw table `INC0001|7` (that version only: a later export of the key is judged again) or "
            "`INC0001` (every version); on staging the key. Run `itsm check` afterwards to record the new result."
        ),
    )
    def acknowledge(
        check_name: Annotated[str, typer.Argument(metavar="CHECK", help="check name as `itsm check` prints it")],
        key: Annotated[str, typer.Argument(metavar="KEY", help="the failing key, e.g. OUT0042|3 or OUT0042")],
        reason: Annotated[str, typer.Option(help="why the value is accepted (kept for auditors)")],
        by: Annotated[str | None, typer.Option(help="who acknowledges (default: the operating-system user)")] = None,
    ) -> None:
        invoke(cmd_acknowledge, locals())

    @dq.command("acknowledgements", help="List every acknowledgement, newest first.")
    def acknowledgements() -> None:
        invoke(cmd_acknowledgements, locals())


def _timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        example = "2026-10-31T12:00:00+00:00"
        raise typer.BadParameter(f"expected an ISO 8601 timestamp such as {example}, got {text!r}") from err
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _dbt_target(args: argparse.Namespace) -> Path | None:
    from data_quality.dbt_results import latest_run_results_dir

    if args.dbt_target is not None:
        root = args.dbt_target
    else:
        env = os.environ.get("DBT_TARGET_PATH")
        root = Path(env) if env else DBT_PROJECT_DIR / "target"
    return latest_run_results_dir(root)


def print_check_table(results: list[CheckResult]) -> None:
    """One row per check, failures first: status, severity, check, asset, failing count, sample keys or details."""
    from data_quality.specs import Status
    from pipelines.commands.output import Column, print_table

    rank = {Status.ERROR: 0, Status.FAILED: 1, Status.NOT_APPLICABLE: 2, Status.PASSED: 3}
    ordered = sorted(results, key=lambda r: (rank[r.status], str(r.severity) != "blocking", r.check_name))
    rows = []
    for r in ordered:
        sample = ", ".join(r.failing_keys_sample[:5])
        extra = sample if sample else (r.details if r.status is not Status.PASSED else "")
        failing = "" if r.failing_row_count is None else str(r.failing_row_count)
        rows.append((r.status.value.upper(), r.severity.value, r.check_name, r.asset, failing, extra[:160]))
    columns = [
        Column("STATUS"),
        Column("SEVERITY"),
        Column("CHECK"),
        Column("ASSET"),
        Column("FAILING", "right"),
        Column("SAMPLE KEYS / DETAILS"),
    ]
    print_table(columns, rows)


def summary_lines(results: list[CheckResult], run_id: str, warehouse: Path, recorded: bool) -> list[str]:
    """The count line, the failed checks by severity with their names, and where the results are."""
    from data_quality.specs import Status
    from pipelines.summary import check_lines, check_outcome

    counts = {s: sum(1 for r in results if r.status is s) for s in Status}
    blocking = sum(1 for r in results if r.blocks)
    return [
        "",
        f"{len(results)} checks: {counts[Status.PASSED]} passed, {counts[Status.FAILED]} failed, "
        f"{counts[Status.ERROR]} errors, {counts[Status.NOT_APPLICABLE]} not applicable; "
        f"{blocking} blocking failure(s). run_id {run_id}",
        *check_lines(check_outcome(results)),
        f"results: {'dq.check_results in ' + str(warehouse) if recorded else 'not recorded (--no-record)'}",
    ]


def cmd_check(args: argparse.Namespace) -> int:
    from data_quality.dbt_results import dbt_test_results
    from data_quality.results import new_run_id, write_results
    from data_quality.run_steps import STEPS, record_step
    from data_quality.runner import run_all
    from data_quality.specs import Status
    from pipelines.commands.output import print_lines
    from pipelines.warehouse import warehouse_connection

    settings = Settings.from_env()
    if not settings.warehouse_path.exists():
        print(f"No warehouse at {settings.warehouse_path}: run `itsm run` first.", file=sys.stderr)
        return 1
    as_of = args.as_of or datetime.now(UTC)
    run_id = new_run_id()
    # Only reading (--no-record): read-only, so it never holds the warehouse against a run (pipelines/warehouse.py).
    with warehouse_connection(settings.warehouse_path, read_only=args.no_record) as conn:
        results = run_all(conn, as_of=as_of, reuse=not settings.full_refresh)  # ITSM_FULL_REFRESH=1: every row
        dbt_target = _dbt_target(args)
        results += dbt_test_results(dbt_target) if dbt_target else []
        if not args.no_record:
            write_results(conn, run_id, results, checked_at=datetime.now(UTC))
            for step in STEPS:  # every check of both steps ran: a complete check run for the publishing gate
                record_step(conn, run_id, step, len(results))
    shown = [r for r in results if r.status is not Status.PASSED] if args.failures_only else results
    print(f"warehouse: {settings.warehouse_path}   as of: {as_of.isoformat()}")
    if shown:
        print_check_table(shown)
    else:
        print("all checks passed")
    if args.failures_only and shown:
        print(f"({len(results) - len(shown)} passing checks not listed)")
    print_lines(summary_lines(results, run_id, settings.warehouse_path, recorded=not args.no_record))
    return 1 if any(r.blocks for r in results) else 0


def cmd_acknowledge(args: argparse.Namespace) -> int:
    from data_quality.acknowledgements import AcknowledgeError, acknowledge
    from pipelines.warehouse import warehouse_connection

    settings = Settings.from_env()
    if not settings.warehouse_path.exists():
        print(f"No warehouse at {settings.warehouse_path}: run `itsm run` first.", file=sys.stderr)
        return 1
    try:
        with warehouse_connection(settings.warehouse_path) as conn:
            ack = acknowledge(conn, args.check_name, args.key, args.reason, args.by)
    except AcknowledgeError as err:
        print(f"not recorded: {err}", file=sys.stderr)
        return 1
    print(
        f"acknowledged {ack.check_name} for key {ack.key} by {ack.acknowledged_by} at "
        f"{ack.acknowledged_at:%Y-%m-%d %H:%M:%S} UTC: {ack.reason}\n"
        "the next `itsm check` or `itsm run` leaves this key out of the check"
    )
    return 0


def cmd_acknowledgements(args: argparse.Namespace) -> int:
    from data_quality.results import ACK_TABLE, table_exists
    from pipelines.warehouse import warehouse_connection

    settings = Settings.from_env()
    if not settings.warehouse_path.exists():
        print(f"No warehouse at {settings.warehouse_path}: run `itsm run` first.", file=sys.stderr)
        return 1
    with warehouse_connection(settings.warehouse_path, read_only=True) as conn:
        if not table_exists(conn, ACK_TABLE):
            print("no acknowledgements recorded")
            return 0
        conn.sql(
            f"""select strftime(acknowledged_at, '%Y-%m-%d %H:%M:%S') as acknowledged_utc, acknowledged_by,
                       check_name, key, reason
                from {ACK_TABLE} order by acknowledged_at desc"""
        ).show(max_width=200)
    return 0
