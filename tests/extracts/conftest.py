"""Fixtures for the extract tests: one hand-built warehouse shared read-only, and an in-process CLI runner."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from audit_cli import KEY, CliResult
from audit_rows import build_hand_warehouse


@pytest.fixture(scope="session")
def hand_warehouse_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hand_warehouse(tmp_path_factory.mktemp("hand") / "itsm.duckdb")


@pytest.fixture
def hand_warehouse(hand_warehouse_master: Path, tmp_path: Path) -> Path:
    """A private copy, so a test may lock or change it without touching the others."""
    path = tmp_path / "wh" / "itsm.duckdb"
    path.parent.mkdir()
    shutil.copyfile(hand_warehouse_master, path)
    return path


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """`itsm` in this process (the same argument parsing and handlers, without 3 s of start-up per call)."""
    from pipelines.cli import main

    def run(args: list[str], warehouse: Path, key: str | None = KEY) -> CliResult:
        for name in [n for n in os.environ if n.startswith("ITSM_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("ITSM_WAREHOUSE", str(warehouse))
        monkeypatch.setenv("ITSM_OUTPUT_DIR", str(warehouse.parent / "build"))
        if key is not None:
            monkeypatch.setenv("ITSM_PSEUDONYM_KEY", key)
        capsys.readouterr()
        code = main(args)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
