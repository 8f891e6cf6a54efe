"""Helpers shared by the extract tests (imported by name: test modules must not import `conftest`)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

ITSM = Path(sys.executable).with_name("itsm")
KEY = "test-key-one-of-the-audit-tests"


def itsm(args: list[str], warehouse: Path, key: str | None = KEY, **extra_env: str) -> subprocess.CompletedProcess:
    """Run `itsm` as a user would, against `warehouse`, with outputs beside it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITSM_")}
    env.update(
        ITSM_WAREHOUSE=str(warehouse),
        ITSM_OUTPUT_DIR=str(warehouse.parent / "build"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        **extra_env,
    )
    if key is not None:
        env["ITSM_PSEUDONYM_KEY"] = key
    return subprocess.run([str(ITSM), *args], env=env, capture_output=True, text=True, check=False)


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def rows(path: Path) -> list[dict[str, object]]:
    return pq.read_table(path).to_pylist()
