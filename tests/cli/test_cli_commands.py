"""The `itsm` command line itself: suggestions, help texts, a light `--help`, and bad paths refused before any work.

Runs the installed `itsm` in a subprocess, as a user would (tests/conftest.py `run_itsm`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import typer

from pipelines.cli import build_app
from tests.conftest import run_itsm

COMMANDS = sorted(typer.main.get_command(build_app()).commands)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An isolated pipeline environment whose warehouse and inbox do not exist yet."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ITSM_")},
        "ITSM_WAREHOUSE": str(tmp_path / "warehouse" / "itsm.duckdb"),
        "ITSM_INBOX": str(tmp_path / "inbox"),
        "ITSM_OUTPUT_DIR": str(tmp_path / "build"),
        "DAGSTER_HOME": str(tmp_path),
    }


def test_every_command_of_the_old_cli_is_still_there():
    # the argparse CLI's commands, as the Makefile, README and tests call them
    assert set(COMMANDS) >= {
        "run",
        "status",
        "ingest",
        "extract",
        "verify",
        "close-period",
        "sql",
        "publish-snapshot",
        "docs",
        "demo-data",
        "check",
        "dashboard",
        "report",
        "explain",
    }


def test_a_mistyped_command_gets_a_suggestion(env):
    proc = run_itsm(["stauts"], env, check=False)
    assert proc.returncode == 2
    assert "No such command 'stauts'. Did you mean 'status'?" in proc.stderr
    proc = run_itsm(["explian", "INC1"], env, check=False)
    assert "Did you mean 'explain'?" in proc.stderr


def test_every_command_is_listed_with_its_one_line_help(env):
    proc = run_itsm(["--help"], env)
    listed = {}
    for line in proc.stdout.split("Commands:")[1].splitlines():
        match = re.match(r"  (\S+)\s+(\S.*)", line)
        if match:
            listed[match.group(1)] = match.group(2)
    assert sorted(listed) == COMMANDS
    assert all(len(text) > 20 for text in listed.values()), listed
    assert "--install-completion" in proc.stdout  # shell completion, from Typer


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_a_description(command: str, env):
    proc = run_itsm([command, "--help"], env)
    prose = proc.stdout.split("\n\n")[1:]  # after the usage line: the help's paragraphs, then arguments/options
    paragraphs = [p for p in prose if not p.lstrip().startswith(("Options:", "Arguments:"))]
    # the one-line summary, then at least one paragraph that describes the command
    assert len(paragraphs) >= 2, proc.stdout
    assert len(" ".join(paragraphs[1].split())) > 60, proc.stdout


def test_help_imports_no_heavy_library():
    """`itsm --help` must start fast: Dagster, dbt, GX, DuckDB, polars, pandas and plotly load only in handlers."""
    code = (
        "import sys\n"
        "from pipelines.cli import main\n"
        "code = main(['--help'])\n"
        "heavy = {'dagster', 'dagster_dbt', 'dbt', 'great_expectations', 'duckdb', 'polars', 'pandas', 'plotly'}\n"
        "print('LOADED', sorted({m.split('.')[0] for m in sys.modules} & heavy), code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[-1] == "LOADED [] 0"


def test_run_with_a_missing_inbox_fails_clearly_and_runs_nothing(env):
    env["ITSM_INBOX"] = "/nonexistent"
    proc = run_itsm(["run"], env, check=False)
    assert proc.returncode == 2
    assert "the inbox folder /nonexistent does not exist" in proc.stderr
    assert "Nothing was run" in proc.stderr
    assert "succeeded" not in proc.stdout + proc.stderr
    assert not Path(env["ITSM_WAREHOUSE"]).exists()  # no warehouse created, no Dagster run started
    assert not (Path(env["DAGSTER_HOME"]) / "storage").exists()


def test_run_with_a_file_as_inbox_fails_clearly(env, tmp_path: Path):
    not_a_folder = tmp_path / "exports.csv"
    not_a_folder.write_text("ticket_id\n")
    env["ITSM_INBOX"] = str(not_a_folder)
    proc = run_itsm(["run"], env, check=False)
    assert proc.returncode == 2
    assert "is not a folder" in proc.stderr


def test_ingest_of_a_missing_path_loads_nothing_and_logs_nothing(env, empty_warehouse: Path, tmp_path: Path):
    env["ITSM_WAREHOUSE"] = str(empty_warehouse)
    good = tmp_path / "tickets.csv"
    good.write_text("ticket_id,ticket_type,opened_at,state,priority\nT1,incident,2026-01-05 09:00:00,new,2\n")

    proc = run_itsm(["ingest", "/no/such/file.csv"], env, check=False)
    assert proc.returncode == 2
    assert "path does not exist: /no/such/file.csv (nothing was loaded)" in proc.stderr

    # one good file beside a mistyped one: nothing at all is loaded, so the good one is not half of a batch
    proc = run_itsm(["ingest", str(good), "/no/such/other.csv"], env, check=False)
    assert proc.returncode == 2
    assert "/no/such/other.csv" in proc.stderr and str(good) not in proc.stderr
    with duckdb.connect(str(empty_warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.load_log").fetchone()[0] == 0
        assert conn.execute("select count(*) from raw.tickets").fetchone()[0] == 0


def test_ingest_ends_with_the_closing_summary(env, tmp_path: Path):
    good = tmp_path / "tickets.csv"
    # T2's opened_at is not a timestamp: quarantined
    good.write_text(
        "ticket_id,ticket_type,opened_at,state,priority\n"
        "T1,incident,2026-01-05 09:00:00,new,2\n"
        "T2,incident,never,new,2\n"
    )
    first = run_itsm(["ingest", str(good)], env)
    again = run_itsm(["ingest", str(good)], env)
    assert "files: 1 loaded, 0 skipped (already loaded), 0 rejected" in first.stdout
    assert "rows quarantined: 1 " in first.stdout
    assert f"warehouse: {env['ITSM_WAREHOUSE']}" in first.stdout
    assert "files: 0 loaded, 1 skipped (already loaded), 0 rejected" in again.stdout
    assert "rows quarantined: 0" in again.stdout
