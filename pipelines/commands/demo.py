"""`itsm demo-data`: write twelve months of deterministic demo exports into the inbox."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Annotated

import typer

from pipelines.commands import invoke
from pipelines.settings import Settings

EXPORT_SUFFIXES = (".csv", ".parquet", ".jsonl", ".json")


DEMO_HELP = "generate deterministic demo exports (canonical CSV/Parquet/JSONL, ServiceNow, Jira) into the inbox"


def register(app: typer.Typer) -> None:
    @app.command(
        "demo-data",
        short_help=DEMO_HELP,
        help=(
            "Generate deterministic demo exports (canonical CSV/Parquet/JSONL, ServiceNow, Jira) into the inbox.\n\n"
            "Writes 12 months (2025-11-01 .. 2026-10-31 UTC) of tickets, ticket events, changes, outages and "
            "surveys in the canonical format, plus a small ServiceNow event-log export and a Jira export, with a "
            "few seeded defects (listed in .defects.json) that the loader must quarantine. Same seed, same bytes."
        ),
    )
    def demo_data(
        seed: Annotated[int, typer.Option(help="random seed")] = 42,
        out: Annotated[Path | None, typer.Option(help="output folder (default: the inbox, ITSM_INBOX)")] = None,
        tickets: Annotated[int, typer.Option(min=100, help="canonical incidents + requests (at least 100)")] = 30000,
        clean: Annotated[
            bool,
            typer.Option(
                "--clean",
                help="first delete export files (*.csv, *.parquet, *.jsonl, *.json) already in the output folder",
            ),
        ] = False,
    ) -> None:
        invoke(cmd_demo_data, locals())


def clean_exports(folder: Path) -> list[Path]:
    """Remove export files at the top of `folder` (never sub-folders or other files); return what was removed."""
    removed = sorted(p for p in folder.glob("*") if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES)
    for path in removed:
        path.unlink()
    return removed


def cmd_demo_data(args: argparse.Namespace) -> int:
    from pipelines.demo import generate_demo_data

    out_dir = (args.out or Settings.from_env().inbox_dir).resolve()
    if args.tickets < 100:
        raise SystemExit("--tickets must be at least 100 (the defects and outage links need some tickets)")
    if args.clean and out_dir.is_dir():
        removed = clean_exports(out_dir)
        print(f"removed {len(removed)} earlier export file(s) from {out_dir}")
    summary = generate_demo_data(
        out_dir, seed=args.seed, n_tickets=args.tickets, progress=lambda m: print(m, flush=True)
    )
    print(summary.to_text())
    return 0
