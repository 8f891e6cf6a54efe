"""Shared test fixtures: isolated warehouses and a real dbt runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.schema import ensure_raw_schema
from pipelines.settings import DBT_PROJECT_DIR

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


def run_dbt(args: list[str], warehouse: Path, work_dir: Path, vars_: dict | None = None) -> str:
    """Run the real dbt CLI against `warehouse`, with its own target/log folders; return its output.

    Fails the test with dbt's output when dbt exits non-zero.
    """
    env = {
        **os.environ,
        "ITSM_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    cmd = [str(DBT_EXECUTABLE), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    if vars_:
        import json

        cmd += ["--vars", json.dumps(vars_)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


@pytest.fixture
def empty_warehouse(tmp_path: Path) -> Path:
    """A DuckDB file with the raw schema created and nothing loaded."""
    path = tmp_path / "itsm.duckdb"
    with duckdb.connect(str(path)) as conn:
        ensure_raw_schema(conn)
    return path


@pytest.fixture(scope="session")
def dbt() -> Callable[..., str]:
    return run_dbt
