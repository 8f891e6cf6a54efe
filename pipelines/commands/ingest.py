"""`itsm ingest PATH...`: load export files (or folders of them) into the warehouse's raw tables."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from pipelines.settings import Settings

ADAPTERS = ("canonical", "servicenow", "jira", "probes")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="load export files (CSV, Parquet, JSON lines) into the raw tables, with quarantine and a load log",
        description=(
            "Loads each file in its own transaction: detects the format from the header (ServiceNow incident "
            "list / event log / change_request, Jira Service Management, probe samples, canonical), types and "
            "checks every row against the contract, puts failing rows in raw.quarantine with line and reason, "
            "and records the file in raw.load_log. A file whose bytes were loaded before is skipped. Folders "
            "are searched for .csv/.parquet/.jsonl files. A timestamp before 1990, after the export instant "
            "(--exported-at), with a two-digit year or an offset beyond +-14:00 quarantines its row. Exit code 1 "
            "when any file was rejected, 2 for a bad --exported-at or --mapping."
        ),
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="export file or folder")
    parser.add_argument("--adapter", choices=ADAPTERS, help="skip detection and read every file with this adapter")
    parser.add_argument(
        "--mapping",
        type=Path,
        metavar="YAML",
        help="read every file with this mapping file (your tool's columns, values, date formats; see README "
        "'Bringing your own export' and pipelines/ingest/mappings/); default: the file's sidecar "
        "<file>.export.yml, else ITSM_MAPPING",
    )
    parser.add_argument(
        "--exported-at",
        metavar="ISO8601",
        help="the instant the tool exported these files, with a UTC offset (2026-11-01T06:00:00Z); the run's "
        "'now' and the latest plausible timestamp in them. Default: the file's sidecar, else the load's start",
    )
    parser.add_argument(
        "--source-tz",
        metavar="ZONE",
        help="time zone of naive timestamps in these files, e.g. Europe/London (default: ITSM_SOURCE_TIMEZONES "
        "for the detected source, else ITSM_DEFAULT_TIMEZONE, else UTC)",
    )
    parser.add_argument("--quiet", action="store_true", help="only print the summary")
    parser.set_defaults(handler=cmd_ingest)


def expand(paths: list[Path]) -> list[Path]:
    from pipelines.ingest.loader import inbox_files

    files: list[Path] = []
    for path in paths:
        files.extend(inbox_files(path) if path.is_dir() else [path])
    return files


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipelines.ingest.loader import LoadResult, ingest_files
    from pipelines.ingest.mapping import MappingError, read_spec
    from pipelines.ingest.sidecar import InvalidExportInstant, parse_export_instant
    from pipelines.warehouse import warehouse_connection

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
    print(summary_table(results))
    return 1 if any(r.status == "rejected" for r in results) else 0


def summary_table(results: list) -> str:
    header = ("file", "status", "adapter", "read", "loaded", "quarantined", "tables")
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
    table = [header, *rows, totals]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    numeric = {3, 4, 5}
    lines = []
    for n, row in enumerate(table):
        cells = [
            str(c).rjust(w) if i in numeric else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0 or n == len(table) - 2:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
