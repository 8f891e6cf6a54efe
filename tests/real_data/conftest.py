"""Warehouses loaded from the real-data subsets with their shipped mapping files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.loader import LoadResult, ingest_files
from pipelines.settings import Settings
from tests.real_data.sources import Export


def load_export(conn: duckdb.DuckDBPyConnection, warehouse: Path, export: Export) -> list[LoadResult]:
    results = []
    for path, mapping in export.files:
        assert path.is_file(), f"real-data file missing: {path} (tests/data/real/ is part of the repository)"
        results += ingest_files(
            conn, [path], Settings(warehouse_path=warehouse), exported_at=export.exported_at, mapping=mapping
        )
    return results


@pytest.fixture
def source() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for the direct computations on the source files."""
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    yield conn
    conn.close()
