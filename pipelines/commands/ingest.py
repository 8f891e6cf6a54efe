"""`itsm ingest PATH...`: load export files (or folders of them) into the warehouse's raw tables."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Literal

import typer

from pipelines.commands import invoke
from pipelines.settings import Settings

INGEST_HELP = "load export files (CSV, Parquet, JSON lines) into the raw tables, with quarantine and a load log"


def register(app: typer.Typer) -> None:
    @app.command(
        "ingest",
        short_help=INGEST_HELP,
        help=(
            "Load export files (CSV, Parquet, JSON lines) into the raw tables, with quarantine and a load log.\n\n"
            "Loads each file in its own transaction: detects the format from the header (ServiceNow incident "
            "list / event log / change_request, Jira Service Management, probe samples, canonical), types and "
            "checks every row against the contract, puts failing rows in raw.quarantine with line and reason, "
            "and records the file in raw.load_log. A file whose bytes were loaded before is skipped. Folders "
            "are searched for export files (YAML sidecars and mapping files are read with them). A timestamp "
            "before 1990, after the export instant (--exported-at), with a two-digit year or an offset beyond "
            "+-14:00 quarantines its row. Ends with a summary of files loaded / skipped / rejected and rows "
            "quarantined.\n\n"
            "Exit code 1 when any file was rejected, 2 when a path does not exist or --exported-at / --mapping "
            "is bad (then nothing is loaded)."
        ),
    )
    def ingest(
        paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="export file or folder")],
        adapter: Annotated[
            Literal["canonical", "servicenow", "jira", "probes"] | None,
            typer.Option(help="skip detection and read every file with this adapter"),
        ] = None,
        mapping: Annotated[
            Path | None,
            typer.Option(
                metavar="YAML",
                help="read every file with this mapping file (your tool's columns, values, date formats; see "
                "README 'Bringing your own export' and pipelines/ingest/mappings/); default: the file's sidecar "
                "<file>.export.yml, else ITSM_MAPPING",
            ),
        ] = None,
        exported_at: Annotated[
            str | None,
            typer.Option(
                "--exported-at",
                metavar="ISO8601",
                help="the instant the tool exported these files, with a UTC offset (2026-11-01T06:00:00Z); the "
                "run's 'now' and the latest plausible timestamp in them. Default: the file's sidecar, else the "
                "load's start",
            ),
        ] = None,
        source_tz: Annotated[
            str | None,
            typer.Option(
                "--source-tz",
                metavar="ZONE",
                help="time zone of naive timestamps in these files, e.g. Europe/London (default: "
                "ITSM_SOURCE_TIMEZONES for the detected source, else ITSM_DEFAULT_TIMEZONE, else UTC)",
            ),
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", help="only print the summary")] = False,
    ) -> None:
        invoke(cmd_ingest, locals())


def expand(paths: list[Path]) -> list[Path]:
    from pipelines.ingest.loader import inbox_files

    files: list[Path] = []
    for path in paths:
        files.extend(inbox_files(path) if path.is_dir() else [path])
    return files


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipelines.commands.output import print_lines
    from pipelines.ingest.loader import LoadResult, ingest_files
    from pipelines.ingest.mapping import MappingError, read_spec
    from pipelines.ingest.sidecar import InvalidExportInstant, parse_export_instant
    from pipelines.summary import load_counts, load_lines, output_lines
    from pipelines.warehouse import warehouse_connection

    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        # Checked before anything is opened: a mistyped path must not become a `rejected` row in raw.load_log.
        print(f"error: path does not exist: {', '.join(missing)} (nothing was loaded)", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    exported_at = None
    if args.exported_at:
        try:
            exported_at = parse_export_instant(args.exported_at)
        except InvalidExportInstant as err:
            print(f"--exported-at: {err}", file=sys.stderr)
            return 2
    mapping = None
    if args.mapping:
        if args.adapter:
            print("--mapping and --adapter exclude each other: a mapping file is its own adapter", file=sys.stderr)
            return 2
        try:
            read_spec(args.mapping)
        except MappingError as err:
            print(f"--mapping: {err}", file=sys.stderr)
            return 2
        mapping = args.mapping.resolve()
    if args.adapter:
        settings = replace(settings, adapter_override=args.adapter)
    if args.source_tz:
        settings = replace(settings, default_timezone=args.source_tz, source_timezones={})
    files = expand(args.paths)
    if not files:
        print("no files to ingest", file=sys.stderr)
        return 1

    def progress(index: int, total: int, path: Path, result: LoadResult | None) -> None:
        if args.quiet:
            return
        if result is None:
            print(f"[{index}/{total}] {path} ...", flush=True)
        elif result.status == "rejected":
            print(f"        REJECTED: {result.error}", flush=True)
        else:
            print(
                f"        {result.status}: {result.rows_read:,} read, {result.rows_loaded:,} loaded, "
                f"{result.rows_quarantined:,} quarantined [{result.adapter or '-'}] in {result.seconds:.1f}s",
                flush=True,
            )

    print(f"warehouse: {settings.warehouse_path}", flush=True)
    with warehouse_connection(settings.warehouse_path) as conn:
        results = ingest_files(conn, files, settings, progress=progress, exported_at=exported_at, mapping=mapping)
    print_summary_table(results)
    counts = load_counts(results)
    lines = ["", *load_lines(counts), *output_lines({"warehouse": settings.warehouse_path})]
    if counts.loaded:
        lines.append("next: `itsm run` builds the marts, checks and report from the new rows")
    print_lines(lines)
    return 1 if counts.rejected else 0


def print_summary_table(results: list) -> None:
    from pipelines.commands.output import Column, print_table

    columns = [
        Column("file"),
        Column("status"),
        Column("adapter"),
        Column("read", "right"),
        Column("loaded", "right"),
        Column("quarantined", "right"),
        Column("tables"),
    ]
    rows = [
        (
            r.path.name,
            r.status,
            r.adapter or "-",
            f"{r.rows_read:,}",
            f"{r.rows_loaded:,}",
            f"{r.rows_quarantined:,}",
            ", ".join(f"{t}={n:,}" for t, n in r.tables.items()) or "-",
        )
        for r in results
    ]
    totals = (
        "TOTAL",
        ", ".join(f"{sum(r.status == s for r in results)} {s}" for s in ("loaded", "skipped_duplicate", "rejected")),
        "",
        f"{sum(r.rows_read for r in results):,}",
        f"{sum(r.rows_loaded for r in results):,}",
        f"{sum(r.rows_quarantined for r in results):,}",
        "",
    )
    print_table(columns, rows, total=totals)
