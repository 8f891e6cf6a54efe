"""Row rules counted by DuckDB itself (RowExpectation engine "sql"): key uniqueness and references, with GX's
meaning (gx_engine.Outcome; test_dq_gx_canary.py compares both with GX's own answer):
- unique: every row of a repeated key is unexpected; rows whose key columns are all null are not judged (missing);
  the sample is the keys of the first failing rows in table order (key order for a view).
- in_reference: a non-null value missing from the reference is unexpected, a null is not judged; sample in key order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from data_quality.frames import column_types, is_view, quote
from data_quality.gx_engine import SAMPLE_SIZE, Outcome, format_key
from data_quality.specs import RowExpectation, Status, TableSuite


def _missing_columns(conn: duckdb.DuckDBPyConnection, suite: TableSuite, columns: Sequence[str]) -> Outcome | None:
    """An ERROR outcome when the relation lacks any of `columns` or of the suite's key, else None."""
    present = column_types(conn, suite.relation)
    missing = [c for c in (*columns, *suite.key_columns) if c not in present]
    return Outcome(Status.ERROR, message=f"columns {missing} not available in {suite.relation}") if missing else None


def _outcome(suite: TableSuite, element: int, skipped: int, unexpected: int, rows: Sequence[Sequence]) -> Outcome:
    """The outcome of counted rows: `rows` are the key values of the first failing rows."""
    keys = [format_key(dict(zip(suite.key_columns, row, strict=True)), suite.key_columns) for row in rows]
    status = Status.FAILED if unexpected else Status.PASSED
    return Outcome(status, int(element), int(skipped), int(unexpected), tuple(dict.fromkeys(keys)))


@dataclass(frozen=True)
class Rows:
    """The rows a rule judges: those of the relation (or of `source`, a snapshot of it) that `where` selects."""

    where: str = "true"
    params: Sequence[object] = ()
    source: str | None = None


def unique_outcome(
    conn: duckdb.DuckDBPyConnection, suite: TableSuite, exp: RowExpectation, rows_in: Rows = Rows()
) -> Outcome:
    """Rows of `suite.relation` (per `rows_in`) whose `exp.columns` values occur more than once."""
    where, params, source = rows_in.where, rows_in.params, rows_in.source
    if error := _missing_columns(conn, suite, exp.columns):
        return error
    # table order (rowid) as GX's frame order; a view has no rowid: then in key order
    view = is_view(conn, suite.relation)
    order = ", ".join(f"r.{quote(c)}" for c in exp.columns) if view else "r._row"
    unit = f"(select *, {'null' if view else 'rowid'} as _row from {source or suite.relation} where {where})"
    cols = ", ".join(quote(c) for c in exp.columns)
    all_null = " and ".join(f"{quote(c)} is null" for c in exp.columns)
    # A 64-bit hash of the key per row, sorted with numpy: when no two neighbours are equal no key repeats, without
    # a GROUP BY over every key. A repeated hash is a repeated key or a collision: only the rows with such a hash
    # are grouped by the key itself.
    found = conn.execute(
        f"select hash({cols}) as h, ({all_null}) as all_null from {unit} as u", list(params)
    ).fetchnumpy()
    hashes, all_missing = np.asarray(found["h"]), np.asarray(found["all_null"], dtype=bool)
    element, skipped = len(hashes), int(all_missing.sum())
    hashes = np.sort(hashes[~all_missing]) if skipped else np.sort(hashes)
    repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    unexpected, rows = 0, []
    if repeated.size:
        name = f"dq_repeated_{id(repeated)}"
        conn.register(name, pa.table({"h": repeated}))
        try:
            (unexpected,) = conn.execute(
                f"""select coalesce(sum(n) filter (where n > 1), 0)
                    from (select count(*) as n from {unit} as u
                          where not ({all_null}) and hash({cols}) in (select h from {name}) group by {cols})""",
                list(params),
            ).fetchall()[0]
        finally:
            conn.unregister(name)
    if unexpected:
        same = " and ".join(f"r.{quote(c)} is not distinct from d.{quote(c)}" for c in exp.columns)
        rows = conn.execute(
            f"""with unit as (select * from {unit} as u),
                     dup as (select {cols} from unit group by {cols} having count(*) > 1 and not ({all_null}))
                select {", ".join(f"r.{quote(c)}" for c in suite.key_columns)}
                from unit r semi join dup d on ({same})
                order by {order} limit {SAMPLE_SIZE}""",
            list(params),
        ).fetchall()
    return _outcome(suite, element, skipped, unexpected, rows)


def reference_outcome(
    conn: duckdb.DuckDBPyConnection, suite: TableSuite, exp: RowExpectation, rows_in: Rows = Rows()
) -> Outcome:
    """Rows of `suite.relation` (per `rows_in`) whose `exp.columns[0]` is set but absent from `exp.reference`
    ("schema.table.column")."""
    where, params, source = rows_in.where, rows_in.params, rows_in.source
    if error := _missing_columns(conn, suite, exp.columns[:1]):
        return error
    relation, ref_column = (exp.reference or "").rsplit(".", 1)
    column, keys = quote(exp.columns[0]), ", ".join(quote(c) for c in suite.key_columns)
    unknown = f"{column} is not null and {column} not in (select {quote(ref_column)} from {relation})"
    element, skipped, unexpected, sample = conn.execute(
        f"""select count(*), count(*) filter (where {column} is null), count(*) filter (where {unknown}),
                   list_slice(list(({keys}) order by {keys}) filter (where {unknown}), 1, {SAMPLE_SIZE})
            from {source or suite.relation} where {where}""",
        list(params),
    ).fetchall()[0]
    rows = [row.values() if isinstance(row, dict) else (row,) for row in sample or []]
    return _outcome(suite, element, skipped, unexpected, rows)
