"""dq.check_units: the outcome of each raw row rule on each load it was validated on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from data_quality.gx_engine import Outcome
from data_quality.results import RESULTS_SCHEMA, create_table, insert_rows, table_exists
from data_quality.specs import Status

UNITS_TABLE = f"{RESULTS_SCHEMA}.check_units"
UNITS_COLUMNS = (
    ("relation", "VARCHAR NOT NULL"),
    ("check_name", "VARCHAR NOT NULL"),
    ("spec_hash", "VARCHAR NOT NULL"),
    ("unit", "VARCHAR NOT NULL"),  # 'load <id>'
    ("fingerprint", "VARCHAR NOT NULL"),  # 'rows=<n>': the load's current rows when validated
    ("status", "VARCHAR NOT NULL"),  # passed / failed (errors are not stored)
    ("element_count", "BIGINT NOT NULL"),
    ("missing_count", "BIGINT NOT NULL"),
    ("unexpected_count", "BIGINT NOT NULL"),
    ("sample_keys", "VARCHAR NOT NULL"),  # JSON array, first failing keys of the unit
    ("checked_at", "TIMESTAMPTZ NOT NULL"),
)

StoredUnits = dict[str, dict[tuple[str, str], Outcome]]  # spec hash -> (unit, fingerprint) -> outcome


def stored_outcomes(conn: duckdb.DuckDBPyConnection, relation: str, hashes: Sequence[str]) -> StoredUnits:
    """Stored outcomes by spec hash and unit; a unit stored twice with the same fingerprint keeps its newest."""
    if not hashes or not table_exists(conn, UNITS_TABLE):
        return {}
    rows = conn.execute(
        f"""select spec_hash, unit, fingerprint, status, element_count, missing_count, unexpected_count, sample_keys
            from {UNITS_TABLE} where relation = ? and spec_hash in (select unnest(?::varchar[]))
            order by checked_at desc""",
        [relation, list(hashes)],
    ).fetchall()
    stored: StoredUnits = {}
    for h, unit, fp, status, el, miss, unexp, keys in rows:
        outcome = Outcome(Status(status), int(el), int(miss), int(unexp), tuple(json.loads(keys)))
        stored.setdefault(h, {}).setdefault((unit, fp), outcome)
    return stored


@dataclass
class PendingOutcomes:
    """Outcomes validated by the checks of one step (dq.check_units rows), written together by `commit`."""

    rows: list[tuple] = field(default_factory=list)

    def commit(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Write every row in one transaction; skipped on a read-only warehouse (nothing can be reused then)."""
        if not self.rows:
            return
        try:
            create_table(conn, UNITS_TABLE, UNITS_COLUMNS)
        except duckdb.Error as err:
            if "read-only" in str(err):
                return
            raise
        conn.execute("BEGIN TRANSACTION")
        try:
            insert_rows(conn, UNITS_TABLE, len(UNITS_COLUMNS), self.rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.rows = []
