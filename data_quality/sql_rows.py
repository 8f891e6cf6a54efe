"""Row rules counted by DuckDB itself: key uniqueness (RowExpectation engine "sql").

A uniqueness rule is a GROUP BY count; on pandas, GX spends most of a large suite's time on it (pandas
`duplicated` over 4.5M events: 3 s of the suite's 3.6 s; over the 1M keys of the latest tickets 0.3 s), after a copy
of every row out of DuckDB. The outcome has GX's shape and meaning (gx_engine.Outcome): every row of a repeated key
is unexpected, rows whose key columns are all null are left out as GX leaves them out, and the sample is the keys of
the first failing rows in the order GX would see them (table order for a raw load, the order of the rows pulled
for a staging relation). tests/data_quality/test_dq_gx_canary.py checks both routes against GX's own answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pyarrow as pa

from data_quality.frames import column_types, quote
from data_quality.gx_engine import SAMPLE_SIZE, Outcome, format_key
from data_quality.specs import RowExpectation, Status, TableSuite

ROW_ORDER = "_dq_row"  # position of a pulled row, added to Arrow rows so the sample follows their order


def unique_outcome(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    exp: RowExpectation,
    where: str = "true",
    params: Sequence[object] = (),
) -> Outcome:
    """Rows of `suite.relation` selected by `where` whose `exp.columns` values occur more than once."""
    present = column_types(conn, suite.relation)
    missing = [c for c in (*exp.columns, *suite.key_columns) if c not in present]
    if missing:
        return Outcome(Status.ERROR, message=f"columns {missing} not available in {suite.relation}")
    # table order (rowid) as GX's frame order; a view has no rowid: then in key order
    is_table = conn.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        suite.relation.split(".", 1),
    ).fetchone()[0]
    row_id = "rowid" if is_table else "null"
    order = ("_row",) if is_table else tuple(quote(c) for c in exp.columns)
    unit = f"(select *, {row_id} as _row from {suite.relation} where {where})"
    return _unique(conn, unit, list(params), exp.columns, suite.key_columns, order)


def unique_outcome_of_rows(
    conn: duckdb.DuckDBPyConnection, rows: pa.Table, suite: TableSuite, exp: RowExpectation
) -> Outcome:
    """The same count over rows already pulled for GX (a staging relation): the relation is not evaluated again,
    and the sample follows the pulled order, which is the order of the frame GX is given."""
    missing = [c for c in (*exp.columns, *suite.key_columns) if c not in rows.column_names]
    if missing:
        return Outcome(Status.ERROR, message=f"columns {missing} not available in {suite.relation}")
    numbered = rows.append_column(ROW_ORDER, pa.array(np.arange(rows.num_rows, dtype=np.int64)))
    name = f"dq_rows_{id(numbered)}"
    conn.register(name, numbered)
    try:
        return _unique(conn, f"(select *, {ROW_ORDER} as _row from {name})", [], exp.columns, suite.key_columns)
    finally:
        conn.unregister(name)


def _unique(
    conn: duckdb.DuckDBPyConnection,
    unit: str,
    params: list[object],
    columns: Sequence[str],
    key_columns: Sequence[str],
    order: Sequence[str] = ("_row",),
) -> Outcome:
    """Uniqueness of `columns` over the rows of `unit` (a subquery with a `_row` column giving GX's row order)."""
    cols = ", ".join(quote(c) for c in columns)
    all_null = " and ".join(f"{quote(c)} is null" for c in columns)
    # A 64-bit hash of the key per row, sorted: distinct hashes mean distinct keys, so when no two neighbours are
    # equal no key repeats. Hashing in DuckDB and sorting the hashes with numpy is 0.15 s for a 5M-event load, where
    # a GROUP BY needs a hash table of 5M groups (0.55 s on the hash, 1.6 s on the four key columns). A repeated
    # hash is a repeated key or a collision: only the rows with such a hash are grouped by the key itself.
    found = conn.execute(f"select hash({cols}) as h, ({all_null}) as all_null from {unit} as u", params).fetchnumpy()
    hashes, all_missing = np.asarray(found["h"]), np.asarray(found["all_null"], dtype=bool)
    element, skipped = len(hashes), int(all_missing.sum())
    hashes = np.sort(hashes[~all_missing]) if skipped else np.sort(hashes)
    repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    unexpected, keys = 0, []
    if repeated.size:
        name = f"dq_repeated_{id(repeated)}"
        conn.register(name, pa.table({"h": repeated}))
        try:
            (unexpected,) = conn.execute(
                f"""select coalesce(sum(n) filter (where n > 1), 0)
                    from (select count(*) as n from {unit} as u
                          where not ({all_null}) and hash({cols}) in (select h from {name}) group by {cols})""",
                params,
            ).fetchall()[0]
        finally:
            conn.unregister(name)
    if unexpected:
        same = " and ".join(f"r.{quote(c)} is not distinct from d.{quote(c)}" for c in columns)
        rows = conn.execute(
            f"""with unit as (select * from {unit} as u),
                     dup as (select {cols} from unit group by {cols} having count(*) > 1 and not ({all_null}))
                select {", ".join(f"r.{quote(c)}" for c in key_columns)}
                from unit r semi join dup d on ({same})
                order by {", ".join(f"r.{part}" for part in order)} limit {SAMPLE_SIZE}""",
            params,
        ).fetchall()
        keys = [format_key(dict(zip(key_columns, row, strict=True)), tuple(key_columns)) for row in rows]
    return Outcome(
        status=Status.FAILED if unexpected else Status.PASSED,
        element_count=int(element),
        missing_count=int(skipped),
        unexpected_count=int(unexpected),
        sample_keys=tuple(dict.fromkeys(keys)),
    )
