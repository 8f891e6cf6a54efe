"""Opening the warehouse for the checks: read-write (results are appended), TimeZone UTC, always closed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


@contextmanager
def open_for_checks(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    # TimeZone is set on the session: DuckDB 2.0 rejects it in connect(config=...) before ICU is loaded,
    # which is also why pipelines.resources.open_warehouse fails here at the moment.
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        yield conn
    finally:
        conn.close()
