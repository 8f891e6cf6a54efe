"""Pulling the rows a suite validates out of DuckDB: only the columns it needs, through Arrow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb

from data_quality.specs import TableSuite

if TYPE_CHECKING:  # pandas is loaded by DuckDB's result conversion only when a suite runs
    import pandas as pd

# Narrow integers are widened to BIGINT: GX's pandas `between` is vectorized only for int64 / float64 columns.
WIDENED_INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"})


def quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def column_types(conn: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    schema, name = relation.split(".", 1)
    rows = conn.execute(
        "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return dict(rows)


def is_view(conn: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".", 1)
    query = "select count(*) from duckdb_views() where schema_name = ? and view_name = ?"
    return conn.execute(query, [schema, name]).fetchall()[0][0] > 0


def load_frame(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    where: str = "true",
    params: Sequence[object] = (),
    source: str | None = None,
) -> pd.DataFrame:
    """The suite's columns of the rows `where` selects, through Arrow; read from `source` when given (a snapshot of
    the relation). A column the relation lacks is left out: its rules then report an ERROR of their own."""
    types = column_types(conn, suite.relation)
    cols = [
        f"cast({quote(c)} as bigint) as {quote(c)}" if types[c] in WIDENED_INTEGERS else quote(c)
        for c in suite.columns
        if c in types
    ]
    sql = f"select {', '.join(cols) or 'null as no_columns'} from {source or suite.relation} where {where}"
    return conn.sql(sql, params=list(params) or None).to_arrow_table().to_pandas()
