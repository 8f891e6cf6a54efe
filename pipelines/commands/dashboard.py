"""`itsm dashboard` (the interactive app) and `itsm report` (the static offline HTML report)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Annotated

import typer

from pipelines.commands import invoke
from pipelines.settings import Settings
from pipelines.warehouse import WarehouseBusy, WarehouseDamaged


def _month(text: str) -> date:
    """`2026-06` or `2026-06-01` -> the first day of that month."""
    try:
        return date.fromisoformat(text if len(text) > 7 else f"{text}-01").replace(day=1)
    except ValueError as err:
        raise typer.BadParameter(f"expected YYYY-MM, got {text!r}") from err


DASHBOARD_HELP = "serve the interactive dashboard on 127.0.0.1 (reads the warehouse read-only)"
REPORT_HELP = "write the self-contained HTML report (opens offline) and print its path"


def register(app: typer.Typer) -> None:
    @app.command(
        "dashboard",
        short_help=DASHBOARD_HELP,
        help=(
            "Serve the interactive dashboard on 127.0.0.1 (reads the warehouse read-only).\n\n"
            "Serves the Dash app: the report's sections with filters for period, service, priority and assignment "
            "group. Each filter change reads the warehouse read-only and lets it go at once: the live file when no "
            "run is writing it, else the analyst snapshot, so a pipeline run is never held up (pipelines/warehouse.py)."
            " Stop with Ctrl+C."
        ),
    )
    def dashboard(
        host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port")] = 8050,
    ) -> None:
        invoke(cmd_dashboard, locals())

    @app.command(
        "report",
        short_help=REPORT_HELP,
        help=(
            "Write the self-contained HTML report (opens offline) and print its path.\n\n"
            "Writes <ITSM_OUTPUT_DIR>/reports/itsm_report.html from the marts: overview tiles against targets, SLA "
            "and incidents, changes, availability, satisfaction, data quality and continual improvement. plotly.js "
            "is embedded, so the file opens on a machine with no internet."
        ),
    )
    def report(
        start: Annotated[
            date | None,
            typer.Option("--from", parser=_month, metavar="YYYY-MM", help="first month (default: all)"),
        ] = None,
        end: Annotated[
            date | None,
            typer.Option("--to", parser=_month, metavar="YYYY-MM", help="last month (default: latest)"),
        ] = None,
        service: Annotated[list[str] | None, typer.Option(help="only this service (repeatable)")] = None,
        priority: Annotated[list[int] | None, typer.Option(help="only this priority (repeatable)")] = None,
        group: Annotated[list[str] | None, typer.Option(help="only this assignment group (repeatable)")] = None,
        png: Annotated[bool, typer.Option("--png", help="also export every chart as PNG (needs Chromium)")] = False,
    ) -> None:
        invoke(cmd_report, locals())


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
        services=tuple(args.service or ()),
        priorities=tuple(args.priority or ()),
        groups=tuple(args.group or ()),
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
