"""dq.check_results: the append-only history of every check evaluated, read by dashboards and extracts.

The first nine columns are the published interface (do not rename). passed is NULL when the check was not
applicable (never a pass); failing_keys_sample is a JSON array of key values ('|'-joined for compound keys).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb

from data_quality.frames import column_types
from data_quality.specs import CheckResult

RESULTS_SCHEMA = "dq"
RESULTS_TABLE = f"{RESULTS_SCHEMA}.check_results"
# Values a person accepted as correct despite a failing row rule (data_quality/acknowledgements.py).
ACK_TABLE = f"{RESULTS_SCHEMA}.acknowledgements"
ACK_COLUMNS = (
    ("check_name", "VARCHAR NOT NULL"),
    ("key", "VARCHAR NOT NULL"),  # as the failing-keys sample shows it ('INC0001|7' or 'INC0001' on raw)
    ("reason", "VARCHAR NOT NULL"),
    ("acknowledged_by", "VARCHAR NOT NULL"),
    ("acknowledged_at", "TIMESTAMPTZ NOT NULL"),
)

RESULTS_COLUMNS = (
    ("run_id", "VARCHAR NOT NULL"),
    ("check_name", "VARCHAR NOT NULL"),
    ("asset", "VARCHAR NOT NULL"),
    ("severity", "VARCHAR NOT NULL"),
    ("passed", "BOOLEAN"),
    ("observed_value", "DOUBLE"),
    ("failing_row_count", "BIGINT"),
    ("failing_keys_sample", "VARCHAR"),
    ("checked_at", "TIMESTAMPTZ NOT NULL"),
    ("status", "VARCHAR NOT NULL"),  # passed / failed / not_applicable / error
    ("check_type", "VARCHAR"),
    ("engine", "VARCHAR"),  # great_expectations / sql / dbt / runner
    ("details", "VARCHAR"),  # what was compared, in words
)


def new_run_id() -> str:
    return uuid.uuid4().hex


def create_table(conn: duckdb.DuckDBPyConnection, table: str, columns: tuple[tuple[str, str], ...]) -> None:
    """Create the dq schema and `table` (columns as (name, DDL) pairs) when missing."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RESULTS_SCHEMA}")
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(f'{name} {ddl}' for name, ddl in columns)})")


def ensure_results_table(conn: duckdb.DuckDBPyConnection) -> None:
    """dq.check_results, and dq.acknowledgements beside it (empty until someone acknowledges a value), so that
    readers of the results (report, data-quality extract) find both."""
    create_table(conn, RESULTS_TABLE, RESULTS_COLUMNS)
    create_table(conn, ACK_TABLE, ACK_COLUMNS)


def write_results(
    conn: duckdb.DuckDBPyConnection,
    run_id: str,
    results: Iterable[CheckResult],
    checked_at: datetime | None = None,
) -> int:
    """Append one row per result (never update or delete); return the number of rows written."""
    checked_at = checked_at or datetime.now(UTC)
    rows = [
        (
            run_id,
            r.check_name,
            r.asset,
            str(r.severity),
            r.passed,
            r.observed_value,
            r.failing_row_count,
            json.dumps(r.failing_keys_sample),
            checked_at,
            str(r.status),
            r.check_type,
            r.engine,
            r.details,
        )
        for r in results
    ]
    if not rows:
        return 0
    ensure_results_table(conn)
    insert_rows(conn, RESULTS_TABLE, len(RESULTS_COLUMNS), rows)
    return len(rows)


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, width: int, rows: list[tuple]) -> None:
    """Append rows in one statement per 500 rows: `executemany` commits every row on its own (a WAL sync each)."""
    row = "(" + ", ".join("?" for _ in range(width)) + ")"
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        conn.execute(f"INSERT INTO {table} VALUES {', '.join(row for _ in chunk)}", [v for r in chunk for v in r])


def table_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(column_types(conn, table))
