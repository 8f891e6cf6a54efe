"""Helpers for ingest tests: write small export files, load them into a fresh warehouse, query it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.loader import LoadResult, ingest_files
from pipelines.settings import Settings


class Loaded:
    """A warehouse under test: load files into it and query it (one connection, closed at teardown)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = duckdb.connect(str(path))
        self.conn.execute("SET TimeZone = 'UTC'")

    def load(self, *paths: Path, **settings: object) -> list[LoadResult]:
        return ingest_files(self.conn, list(paths), Settings(warehouse_path=self.path, **settings))

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.conn.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: list | None = None):
        return self.conn.execute(sql, params or []).fetchone()[0]

    def close(self) -> None:
        self.conn.close()

    def reopen(self) -> None:
        """After another process (dbt) wrote the file: DuckDB allows one writing process at a time."""
        self.conn = duckdb.connect(str(self.path))
        self.conn.execute("SET TimeZone = 'UTC'")


@pytest.fixture
def warehouse(tmp_path: Path):
    loaded = Loaded(tmp_path / "itsm.duckdb")
    yield loaded
    loaded.close()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write("name.csv", text) -> path; text is dedented and stripped of its first newline."""

    def _write(name: str, text: str = "", data: bytes | None = None) -> Path:
        path = tmp_path / "exports" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if data is not None:
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write
