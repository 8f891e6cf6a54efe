"""Repeated rows inside one file: an exact repeat of an earlier row is quarantined, not loaded twice.

Only rows whose value hash occurs more than once are compared column by column, so a file without repeats pays
one sort of a single 64-bit column. A repeat's raw text is rebuilt from its parsed values as JSON: by
definition they equal the record it repeats, which is loaded with its lineage.
"""

from __future__ import annotations

import duckdb

from data_quality.contract import Table
from pipelines.ingest.adapter import quote


def quarantine_repeated_rows(conn: duckdb.DuckDBPyConnection, checked: str, table: Table) -> int:
    """Mark every repeat of an earlier good row in `checked` with a reason; return how many were marked."""
    # Sorted hashes compared with their neighbour: the cheapest repeat test (DECISIONLOG.md, repeated rows).
    repeated = conn.execute(
        f"""SELECT count(*) FILTER (WHERE _hash = previous) FROM (
                SELECT _hash, lag(_hash) OVER (ORDER BY _hash) AS previous FROM {checked} WHERE _reason IS NULL)"""
    ).fetchone()[0]
    if not repeated:  # the common case: one sort, no second pass
        return 0
    values = ", ".join(quote(c.name) for c in table.columns) + ", _extra"
    as_json = "to_json(struct_pack(" + ", ".join(f"{quote(c.name)} := {quote(c.name)}" for c in table.columns)
    as_json += ", _extra := _extra))"
    return conn.execute(
        f"""UPDATE {checked} SET
                _reason = 'duplicate row: every value equals data record ' || repeats.first_row,
                _raw = repeats.raw
            FROM (
                SELECT _row_number,
                       min(_row_number) OVER same AS first_row,
                       row_number() OVER (same ORDER BY _row_number) AS occurrence,
                       CAST({as_json} AS VARCHAR) AS raw
                FROM {checked}
                WHERE _reason IS NULL AND _hash IN (
                    SELECT _hash FROM {checked} WHERE _reason IS NULL GROUP BY _hash HAVING count(*) > 1
                )
                WINDOW same AS (PARTITION BY {values})
            ) AS repeats
            WHERE {checked}._row_number = repeats._row_number AND repeats.occurrence > 1"""
    ).fetchone()[0]
