"""Opening the DuckDB warehouse: one place, no Dagster import (the CLI uses it and must start fast)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


def open_warehouse(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Generator body shared by the resource and the CLI: open, hand out, always close."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise FileNotFoundError(f"No warehouse at {path}: run `make demo` or `itsm run` first.")
    # TimeZone is set on the session: DuckDB 2.0 rejects it in connect(config=...) before ICU is loaded.
    conn = duckdb.connect(str(path), read_only=read_only)
    try:
        conn.execute("SET TimeZone = 'UTC'")
        yield conn
    finally:
        conn.close()


warehouse_connection = contextmanager(open_warehouse)
