"""`itsm run --engine spark`: the stages of `itsm run` in sequence, with the dbt build on a local Spark.

Ingestion, checks, the report and the analyst snapshot are the same commands a user can run one by one; only the
dbt build moves to Spark (pipelines/spark_engine.py). The Dagster job, its schedule and sensor build on DuckDB.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from pipelines.settings import Settings

ITSM = Path(sys.executable).with_name("itsm")


def _itsm(*args: str) -> int:
    """One `itsm` command in its own process (its own lock, output and exit code), as a user would run it."""
    return subprocess.run([str(ITSM), *args], check=False).returncode


def run_on_spark(settings: Settings, full_refresh: bool = False) -> int:
    """Ingest the inbox, build on Spark, check, write the report and publish the snapshot; stops at the first
    stage that fails and returns its exit code. Every Spark build is whole, so full_refresh changes nothing."""
    stages = [
        ("ingest", lambda: _itsm("ingest", str(settings.inbox_dir))),
        ("dbt build on Spark", lambda: _build(settings)),
        ("checks", lambda: _itsm("check")),
        ("report", lambda: _itsm("report")),
        ("analyst snapshot", lambda: _itsm("publish-snapshot")),
    ]
    if full_refresh:
        print("--full-refresh: every Spark build is a full build already", flush=True)
    for name, stage in stages:
        started = time.monotonic()
        print(f"== {name}", flush=True)
        code = stage()
        print(f"== {name}: {'ok' if code == 0 else f'failed (exit code {code})'} in {time.monotonic() - started:.1f} s")
        if code != 0:
            return code
    return 0


def _build(settings: Settings) -> int:
    try:
        from pipelines.spark_engine import build_on_spark
    except ImportError as err:
        print(f"Spark is not installed ({err.name}): run `make setup-spark` first", file=sys.stderr)
        return 2
    copied = build_on_spark(settings)
    print(f"built on Spark; copied {len(copied)} tables back into {settings.warehouse_path}", flush=True)
    return 0
