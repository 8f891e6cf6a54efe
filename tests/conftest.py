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


ITSM_EXECUTABLE = Path(sys.executable).with_name("itsm")


def run_itsm(args: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """Run the installed `itsm` command in a subprocess, exactly as a user would."""
    proc = subprocess.run([str(ITSM_EXECUTABLE), *args], env=env, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        pytest.fail(f"itsm {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}")
    return proc


def pipeline_env(root: Path, **extra: str) -> dict[str, str]:
    """Environment of a pipeline of its own under `root`: warehouse, inbox, outputs and Dagster instance."""
    (root / "dagster_home").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "ITSM_WAREHOUSE": str(root / "warehouse" / "itsm.duckdb"),
        "ITSM_INBOX": str(root / "inbox"),
        "ITSM_OUTPUT_DIR": str(root / "build"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # As `make demo` declares them: the demo ServiceNow export is in UK local time, Jira in UTC.
        "ITSM_SOURCE_TIMEZONES": "servicenow=Europe/London,jira=UTC",
        **extra,
    }


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of an isolated pipeline: its own warehouse, inbox, outputs and Dagster instance."""
    return pipeline_env(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def demo_run(demo_env: dict[str, str]) -> subprocess.CompletedProcess:
    """Small demo data set run through the whole real pipeline once per test session (`itsm run`): the run's
    output (its step lines and closing summary). Building it costs about a minute."""
    run_itsm(["demo-data", "--out", demo_env["ITSM_INBOX"], "--tickets", "3000"], demo_env)
    proc = run_itsm(["run"], demo_env, check=False)
    if proc.returncode != 0:
        pytest.fail(f"itsm run failed:\n{proc.stdout[-8000:]}\n{proc.stderr[-8000:]}")
    return proc


@pytest.fixture(scope="session")
def demo_warehouse(demo_run: subprocess.CompletedProcess, demo_env: dict[str, str]) -> Path:
    """The warehouse of `demo_run`, shared by every test that needs a fully built warehouse."""
    return Path(demo_env["ITSM_WAREHOUSE"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "dbt: runs the real dbt CLI on a small warehouse (10 s or more per build; set by the fixture)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks by what a test costs, whatever its module says, from the fixtures it uses (directly or through other
    fixtures) and folder: on the shared demo warehouse, a whole `itsm run`: `slow`; on the `dbt` runner or in
    tests/dbt/ (every test there builds models): `dbt`; in tests/spark/ (builds on a local Spark): `spark`.
    `make test-fast` leaves out slow, dbt, browser and spark tests; `make test` runs everything but the spark
    tests, which `make test-spark` runs (tests/dbt/test_sla_engine.py marks its Spark cases itself)."""
    dbt_folder = Path(__file__).parent / "dbt"
    spark_folder = Path(__file__).parent / "spark"
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if spark_folder in Path(item.path).parents:
            item.add_marker(pytest.mark.spark)
        if "demo_warehouse" in fixtures:
            item.add_marker(pytest.mark.slow)
        if "dbt" in fixtures or dbt_folder in Path(item.path).parents:
            item.add_marker(pytest.mark.dbt)
