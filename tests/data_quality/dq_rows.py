"""Hand-built warehouse rows for the data-quality tests: fill lineage so each test states only what it checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from data_quality.contract import LINEAGE_COLUMNS, TABLES
from pipelines.ingest.schema import ensure_raw_schema

LOADED_AT = datetime(2025, 1, 10, tzinfo=UTC)


def ts(text: str) -> datetime:
    """'2025-01-01 09:00' -> aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def new_warehouse(path: Path | str = ":memory:") -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path))
    conn.execute("SET TimeZone = 'UTC'")
    ensure_raw_schema(conn)
    return conn


def insert_raw(conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict], load_id: int = 1) -> None:
    """Insert rows into raw.<table>; unspecified contract columns are NULL, lineage is filled."""
    columns = [c.name for c in TABLES[table].columns] + [c.name for c in LINEAGE_COLUMNS]
    for i, row in enumerate(rows, start=1):
        full = {c: None for c in columns}
        full |= {
            "_source_file": f"/inbox/{table}_{load_id}.csv",
            "_file_sha256": f"sha{load_id}",
            "_row_number": i,
            "_loaded_at": LOADED_AT,
            "_load_id": load_id,
        }
        full |= row
        placeholders = ", ".join("?" for _ in columns)
        conn.execute(
            f"insert into raw.{table} ({', '.join(columns)}) values ({placeholders})", [full[c] for c in columns]
        )


def ticket(ticket_id: str, **values: object) -> dict:
    """A valid closed incident unless overridden: opened 09:00, resolved 10:00, closed 11:00 on 2025-01-06."""
    return {
        "ticket_id": ticket_id,
        "ticket_type": "incident",
        "opened_at": ts("2025-01-06 09:00"),
        "resolved_at": ts("2025-01-06 10:00"),
        "closed_at": ts("2025-01-06 11:00"),
        "state": "closed",
        "priority": 3,
        "service": "email",
    } | values


def log_load(
    conn: duckdb.DuckDBPyConnection, load_id: int, rows_read: int, rows_loaded: int, rows_quarantined: int
) -> None:
    conn.execute(
        """insert into raw.load_log (load_id, source_file, file_sha256, adapter, status, rows_read, rows_loaded,
                                     rows_quarantined, started_at, finished_at)
           values (?, ?, ?, 'canonical', 'loaded', ?, ?, ?, ?, ?)""",
        [
            load_id,
            f"/inbox/file_{load_id}.csv",
            f"sha{load_id}",
            rows_read,
            rows_loaded,
            rows_quarantined,
            LOADED_AT,
            LOADED_AT,
        ],
    )


def by_name(results: list) -> dict:
    return {r.check_name: r for r in results}
