"""What was already checked: the one place the checks keep state between runs, and when that state is written.

Four tables in the warehouse's `dq` schema, all written only through `PendingWrites.commit`:
- dq.check_units: the outcome of each row rule on each unit it was validated on (one raw load or a few merged
  raw loads; a whole relation that is not keyed), keyed by a hash of the rule (data_quality/units.py);
- dq.keyed_state: per keyed check (a staging suite or a layer reconciliation), the raw load up to which its
  per-key state is complete (the watermark), the fingerprint of raw up to there, the rule's hash (with the SQL of
  the views it reads) and, for a suite, the relation's row count;
- dq.reconciliation_keys: a reconciliation's ledger, one row per key: whether the source keeps it, how many
  source and target rows hold it (data_quality/keyed_reconciliation.py);
- dq.suite_keys: per rule of a keyed staging suite, the keys with rows the rule does not judge or fails
  (data_quality/keyed_suite.py).

State is a cache of exact answers: dropping these tables (or running with ITSM_FULL_REFRESH=1) only costs one full
check. A check step collects what it learnt in a `PendingWrites` and commits it in one transaction after every
check of the step has run and its results are recorded, so a step that crashes leaves the state as the last
finished step left it and the next run checks the same rows and keys again. Errors are never stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from data_quality.results import RESULTS_SCHEMA, insert_rows

UNITS_TABLE = f"{RESULTS_SCHEMA}.check_units"
UNITS_COLUMNS = (
    ("relation", "VARCHAR NOT NULL"),
    ("check_name", "VARCHAR NOT NULL"),
    ("spec_hash", "VARCHAR NOT NULL"),
    ("unit", "VARCHAR NOT NULL"),  # 'load <id>', 'loads <id>,<id>,...' or 'relation'
    ("fingerprint", "VARCHAR NOT NULL"),  # 'rows=<n>[,<n>...]' per load, or the relation's row count + hash
    ("status", "VARCHAR NOT NULL"),  # passed / failed (errors are not stored)
    ("element_count", "BIGINT NOT NULL"),
    ("missing_count", "BIGINT NOT NULL"),
    ("unexpected_count", "BIGINT NOT NULL"),
    ("sample_keys", "VARCHAR NOT NULL"),  # JSON array, first failing keys of the unit
    ("checked_at", "TIMESTAMPTZ NOT NULL"),
)

KEYED_STATE_TABLE = f"{RESULTS_SCHEMA}.keyed_state"
KEYED_STATE_COLUMNS = (
    ("check_name", "VARCHAR NOT NULL"),
    ("spec_hash", "VARCHAR NOT NULL"),
    ("watermark", "BIGINT"),  # highest _load_id of the driving raw table the ledger has seen (NULL: none yet)
    ("fingerprint", "VARCHAR NOT NULL"),  # what must be unchanged for the ledger to stay valid (JSON)
    # a keyed suite: the relation's rows when last checked; an exceptions-only reconciliation ledger: the plain keys
    # it leaves out (keyed_reconciliation.py); NULL for a reconciliation ledger listing every key
    ("relation_rows", "BIGINT"),
    ("checked_at", "TIMESTAMPTZ NOT NULL"),
)
RECON_KEYS_TABLE = f"{RESULTS_SCHEMA}.reconciliation_keys"
RECON_KEYS_COLUMNS = (
    ("check_name", "VARCHAR NOT NULL"),
    ("k", "VARCHAR"),  # the key, as text (NULL keys are kept: they count in the totals)
    ("kept", "BOOLEAN NOT NULL"),  # some source row of the key passes the documented filter
    ("n_source", "BIGINT NOT NULL"),
    ("n", "BIGINT NOT NULL"),  # target rows holding the key
)
SUITE_KEYS_TABLE = f"{RESULTS_SCHEMA}.suite_keys"
SUITE_KEYS_COLUMNS = (
    ("check_name", "VARCHAR NOT NULL"),  # a rule of a keyed suite
    ("k", "VARCHAR"),  # the key as the failing-key sample shows it
    ("missing", "BIGINT NOT NULL"),  # rows of the key the rule does not judge (nulls)
    ("unexpected", "BIGINT NOT NULL"),  # rows of the key the rule fails
)  # only keys with a missing or unexpected row: the relation's other keys pass every rule


def table_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".", 1)
    ((n,),) = conn.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
    ).fetchall()  # fetched to the end: DuckDB allows one open result per connection
    return n > 0


def ensure_state_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RESULTS_SCHEMA}")
    for table, columns in (
        (UNITS_TABLE, UNITS_COLUMNS),
        (KEYED_STATE_TABLE, KEYED_STATE_COLUMNS),
        (RECON_KEYS_TABLE, RECON_KEYS_COLUMNS),
        (SUITE_KEYS_TABLE, SUITE_KEYS_COLUMNS),
    ):
        cols = ",\n    ".join(f"{name} {ddl}" for name, ddl in columns)
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (\n    {cols}\n)")


def view_sql(conn: duckdb.DuckDBPyConnection, relation: str) -> str | None:
    """The SQL of a view (None for a table)."""
    schema, name = relation.split(".", 1)
    rows = conn.execute(
        "select sql from duckdb_views() where schema_name = ? and view_name = ?", [schema, name]
    ).fetchall()  # fetched to the end: DuckDB allows one open result per connection
    return rows[0][0] if rows else None


def raw_loads(conn: duckdb.DuckDBPyConnection, raw_table: str) -> dict[int | None, int]:
    return dict(conn.execute(f"select _load_id, count(*) from {raw_table} group by _load_id").fetchall())


def loads_fingerprint(loads: dict[int | None, int], watermark: int | None) -> str:
    """Row count of every load up to the watermark (and of rows without a load id): raw as the ledger saw it."""
    seen = sorted(
        ((lid, n) for lid, n in loads.items() if lid is None or (watermark is not None and lid <= watermark)),
        key=lambda item: (item[0] is None, item[0] or 0),
    )
    return hashlib.sha256(json.dumps(seen).encode()).hexdigest()[:20]


def stored_keyed_state(conn: duckdb.DuckDBPyConnection, name: str) -> tuple[str, int | None, str, int | None] | None:
    """(rule hash, watermark, fingerprint, relation rows) of a keyed check, None when it has no state yet."""
    try:
        rows = conn.execute(
            f"select spec_hash, watermark, fingerprint, relation_rows from {KEYED_STATE_TABLE} where check_name = ? "
            "order by checked_at desc limit 1",
            [name],
        ).fetchall()
    except duckdb.CatalogException:  # no state table yet (ensure_state_tables creates all three at once)
        return None
    return tuple(rows[0]) if rows else None


def replace_keyed_state(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    rule: str,
    watermark: int | None,
    fingerprint: str,
    relation_rows: int | None,
    checked_at: datetime,
) -> None:
    """Write a keyed check's state (the row stored_keyed_state reads), replacing the one it had."""
    conn.execute(f"delete from {KEYED_STATE_TABLE} where check_name = ?", [name])
    state = [(name, rule, watermark, fingerprint, relation_rows, checked_at)]
    insert_rows(conn, KEYED_STATE_TABLE, len(KEYED_STATE_COLUMNS), state)


@dataclass
class PendingWrites:
    """State learnt by the checks of one step, written together by `commit` once the step is done."""

    unit_rows: list[tuple] = field(default_factory=list)
    # each writes one reconciliation's new state and ledger; run in order inside the commit's transaction
    ledger_writes: list[Callable[[duckdb.DuckDBPyConnection], None]] = field(default_factory=list)

    def commit(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Write everything in one transaction; skipped on a read-only warehouse (nothing can be reused then)."""
        if not self.unit_rows and not self.ledger_writes:
            return
        try:
            ensure_state_tables(conn)
        except duckdb.Error as err:
            if "read-only" in str(err):
                return
            raise
        conn.execute("BEGIN TRANSACTION")
        try:
            if self.unit_rows:
                insert_rows(conn, UNITS_TABLE, len(UNITS_COLUMNS), self.unit_rows)
            for write in self.ledger_writes:
                write(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.unit_rows, self.ledger_writes = [], []
