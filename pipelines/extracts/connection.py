"""Warehouse connections for extracts: read-only, UTC, single-threaded.

One thread because DuckDB's parallel aggregation may add floating-point numbers in a different order from run
to run; extracts must be byte-identical, and they are small enough that one thread costs little.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.extracts.request import ExtractError
from pipelines.warehouse import WarehouseBusy, WarehouseDamaged, snapshot_path, warehouse_connection

__all__ = ["first_row", "read_only", "relation_exists", "set_session", "snapshot_path"]


def set_session(conn: duckdb.DuckDBPyConnection, threads: int | None = 1) -> None:
    # TimeZone is set after connecting: passing it in connect(config=...) fails before ICU is loaded.
    conn.execute("SET TimeZone = 'UTC'")
    if threads:
        conn.execute(f"SET threads = {int(threads)}")


@contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse read-only (pipelines/warehouse.py: the live file when no run writes it, else the analyst
    snapshot, whose check results are those of the data in it), UTC and single-threaded."""
    if not path.exists():
        raise ExtractError(f"no warehouse at {path}: run `make demo` or `itsm run` first")
    try:
        with warehouse_connection(path, read_only=True) as conn:
            set_session(conn)
            yield conn
    except (WarehouseBusy, WarehouseDamaged) as err:
        raise ExtractError(f"{err}; nothing written") from None


def first_row(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None) -> tuple | None:
    """The first row of `sql`, reading the result to the end: DuckDB 2.0 refuses new work on a connection
    while a result is left half-fetched (fetchone on a one-row result is not enough)."""
    rows = conn.execute(sql, params or {}).fetchall()
    return rows[0] if rows else None


def relation_exists(conn: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, _, name = qualified.partition(".")
    found = first_row(
        conn,
        """select count(*) from information_schema.tables
           where table_schema = $schema and table_name = $name""",
        {"schema": schema, "name": name},
    )
    return bool(found and found[0])
