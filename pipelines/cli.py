"""`itsm`: the pipeline's command line, for people who never open Dagster.

Every command is a thin wrapper over the functions the Dagster assets call. Each concern registers its own
sub-commands from a module in `pipelines/commands/`; heavy libraries are imported inside the handlers so
`itsm --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

import duckdb

from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import DAMAGED, WarehouseBusy, WarehouseDamaged, is_damage

# Order here is the order in `itsm --help`.
COMMAND_MODULES = [
    "pipelines.commands.core",
    "pipelines.commands.ingest",
    "pipelines.commands.audit",
    "pipelines.commands.demo",
    "pipelines.commands.check",
    "pipelines.commands.dashboard",
    "pipelines.commands.explain",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="itsm",
        description=(
            "ITSM analytics pipeline: ingest ServiceNow / Jira / canonical exports into DuckDB, build the KPI "
            "marts with dbt, check them, and write dashboards and audit extracts. Settings come from ITSM_* "
            "environment variables (see pipelines/settings.py); defaults run the demo."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Dagster keeps run history under the project (dagster.yaml), not the home directory.
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (WarehouseBusy, WarehouseDamaged) as err:  # a one-line message that says what to do, no traceback
        print(err, file=sys.stderr)
        return 1
    except duckdb.Error as err:
        if not is_damage(err):  # a damaged block met while reading: the same message as on opening
            raise
        print(f"{DAMAGED} ({err})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
