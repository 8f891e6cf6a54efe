"""DDL of the `raw` schema, derived from the contract so the two cannot drift."""

from __future__ import annotations

import duckdb

from data_quality.contract import (
    LINEAGE_COLUMNS,
    LOAD_LOG_TABLE,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    TABLES,
)

QUARANTINE_COLUMNS = (
    ("_source_file", "VARCHAR NOT NULL"),
    ("_file_sha256", "VARCHAR NOT NULL"),
    ("_load_id", "BIGINT NOT NULL"),
    ("target_table", "VARCHAR"),  # raw table the row was meant for
    ("line_number", "BIGINT"),  # physical line in the file (1 = header for CSV)
    ("raw_text", "VARCHAR"),
    ("reason", "VARCHAR NOT NULL"),
    ("_loaded_at", "TIMESTAMPTZ NOT NULL"),
)

LOAD_LOG_COLUMNS = (
    ("load_id", "BIGINT NOT NULL"),
    ("source_file", "VARCHAR NOT NULL"),
    ("file_sha256", "VARCHAR NOT NULL"),
    ("adapter", "VARCHAR"),
    ("status", "VARCHAR NOT NULL"),  # loaded | skipped_duplicate | rejected
    ("rows_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),  # source rows accepted; rows_read = rows_loaded + rows_quarantined
    ("rows_quarantined", "BIGINT"),
    ("tables_loaded", "VARCHAR"),  # JSON object: raw table -> rows written (an event log feeds two)
    ("error", "VARCHAR"),
    ("started_at", "TIMESTAMPTZ NOT NULL"),
    ("finished_at", "TIMESTAMPTZ"),
    # The instant the source tool exported the file (given by the user, else the load's start): the run's
    # "now" is the latest of these, never a value inside the data.
    ("exported_at", "TIMESTAMPTZ"),
)


def _columns_sql(columns: tuple[tuple[str, str], ...]) -> str:
    return ",\n    ".join(f"{name} {ddl}" for name, ddl in columns)


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and its tables if missing. Safe to call on every run."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for table in TABLES.values():
        cols = tuple((c.name, c.type) for c in table.columns + LINEAGE_COLUMNS)
        conn.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table.name} (\n    {_columns_sql(cols)}\n)")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{QUARANTINE_TABLE} (\n    {_columns_sql(QUARANTINE_COLUMNS)}\n)"
    )
    conn.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{LOAD_LOG_TABLE} (\n    {_columns_sql(LOAD_LOG_COLUMNS)}\n)")
    # Warehouses made before exported_at existed: add it, taking each load's start as its export instant.
    has_exported_at = conn.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "AND column_name = 'exported_at'",
        [RAW_SCHEMA, LOAD_LOG_TABLE],
    ).fetchone()[0]
    if not has_exported_at:
        conn.execute(f"ALTER TABLE {RAW_SCHEMA}.{LOAD_LOG_TABLE} ADD COLUMN exported_at TIMESTAMPTZ")
        conn.execute(f"UPDATE {RAW_SCHEMA}.{LOAD_LOG_TABLE} SET exported_at = started_at")
