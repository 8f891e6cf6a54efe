"""`itsm`: the pipeline's command line, for people who never open Dagster.

Built on Typer: `itsm --help` lists every command with one line, `itsm COMMAND --help` describes it, a mistyped
command gets a suggestion (`itsm stauts` -> "Did you mean 'status'?"), and `itsm --install-completion` adds shell
completion. Each concern registers its commands from a module in `pipelines/commands/`; the commands are thin
wrappers over the functions the Dagster assets call, and heavy libraries are imported inside the handlers so
`itsm --help` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from pipelines.errors import WarehouseBusy, WarehouseDamaged

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

DESCRIPTION = (
    "ITSM analytics pipeline: ingest ServiceNow / Jira / canonical exports into DuckDB, build the KPI marts with "
    "dbt, check them, and write dashboards and audit extracts.\n\n"
    "Settings come from ITSM_* environment variables (see pipelines/settings.py); the defaults run the demo: "
    "`itsm demo-data`, then `itsm run`, then `itsm status`."
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="itsm",
        help=DESCRIPTION,
        no_args_is_help=True,
        suggest_commands=True,  # `itsm stauts` -> "Did you mean 'status'?" (difflib close matches)
        context_settings={"help_option_names": ["-h", "--help"]},
        # Help texts are plain prose: brackets and asterisks in them are not markup.
        rich_markup_mode=None,
        # A failing command prints its own error; a crash shows Python's plain traceback.
        pretty_exceptions_enable=False,
    )
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)
    return app


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code (usage errors: 2, help: 0)."""
    command = typer.main.get_command(build_app())
    try:
        # Typer prints usage errors (with suggestions) and help itself, then exits: its exit code is ours.
        command.main(args=argv, prog_name="itsm", standalone_mode=True)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)  # SystemExit("message") from a handler: the message, exit code 1
        return 1
    except (WarehouseBusy, WarehouseDamaged) as err:  # a one-line message that says what to do, no traceback
        print(err, file=sys.stderr)
        return 1
    except Exception as err:
        import duckdb

        from pipelines.warehouse import DAMAGED, is_damage

        if not isinstance(err, duckdb.Error) or not is_damage(err):
            raise
        print(f"{DAMAGED} ({err})", file=sys.stderr)  # a damaged block met while reading: as on opening
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
