"""`itsm dashboard` (the interactive app) and `itsm report` (the static offline HTML report)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from pipelines.settings import Settings
from pipelines.warehouse import WarehouseBusy, WarehouseDamaged


def _month(text: str) -> date:
    """`2026-06` or `2026-06-01` -> the first day of that month."""
    try:
        return date.fromisoformat(text if len(text) > 7 else f"{text}-01").replace(day=1)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from err


def register(subparsers: argparse._SubParsersAction) -> None:
    dashboard = subparsers.add_parser(
        "dashboard",
        help="serve the interactive dashboard on 127.0.0.1 (reads the warehouse read-only)",
        description=(
            "Serves the Dash app: the report's sections with filters for period, service, priority and assignment "
            "group. Each filter change reads the warehouse read-only and lets it go at once: the live file when no "
            "run is writing it, else the analyst snapshot, so a pipeline run is never held up (pipelines/warehouse.py)."
            " Stop with Ctrl+C."
        ),
    )
    dashboard.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    dashboard.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    dashboard.set_defaults(handler=cmd_dashboard)

    report = subparsers.add_parser(
        "report",
        help="write the self-contained HTML report (opens offline) and print its path",
        description=(
            "Writes <ITSM_OUTPUT_DIR>/reports/itsm_report.html from the marts: overview tiles against targets, SLA "
            "and incidents, changes, availability, satisfaction, data quality and continual improvement. plotly.js "
            "is embedded, so the file opens on a machine with no internet."
        ),
    )
    report.add_argument("--from", dest="start", type=_month, help="first month, YYYY-MM (default: all)")
    report.add_argument("--to", dest="end", type=_month, help="last month, YYYY-MM (default: latest)")
    report.add_argument("--service", action="append", default=[], help="only this service (repeatable)")
    report.add_argument("--priority", action="append", type=int, default=[], help="only this priority (repeatable)")
    report.add_argument("--group", action="append", default=[], help="only this assignment group (repeatable)")
    report.add_argument("--png", action="store_true", help="also export every chart as PNG (needs Chromium)")
    report.set_defaults(handler=cmd_report)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from dashboards.app import serve

    settings = Settings.from_env()
    if not settings.warehouse_path.exists():
        print(f"No warehouse at {settings.warehouse_path}: run `make demo` or `itsm run` first.", file=sys.stderr)
        return 1
    print(f"dashboard on http://{args.host}:{args.port}/ (warehouse {settings.warehouse_path}, read-only)", flush=True)
    serve(settings.warehouse_path, host=args.host, port=args.port)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from dashboards.queries import Filters
    from dashboards.report import write_report

    settings = Settings.from_env()
    filters = Filters(
        start_month=args.start,
        end_month=args.end,
        services=tuple(args.service),
        priorities=tuple(args.priority),
        groups=tuple(args.group),
    )
    try:
        result = write_report(settings.warehouse_path, settings.reports_dir, filters, png=args.png)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    except (WarehouseBusy, WarehouseDamaged) as err:  # a run holds the warehouse and no snapshot exists yet
        print(err, file=sys.stderr)
        return 1
    for problem in result.problems:
        print(f"note: no data from a source: {problem}", file=sys.stderr)
    if result.png_paths:
        print(f"{len(result.png_paths)} PNG charts in {result.png_paths[0].parent}")
    print(f"report written in {result.seconds:.1f} s ({result.size_bytes / 1e6:.1f} MB): {result.path}")
    return 0
