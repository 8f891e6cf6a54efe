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
from typing import TYPE_CHECKING

import duckdb

from data_quality.frames import quote
from data_quality.gx_engine import SAMPLE_SIZE, Outcome, format_key
from data_quality.specs import RowExpectation, Status, TableSuite

if TYPE_CHECKING:
    import pyarrow as pa

ROW_ORDER = "_dq_row"  # position of a pulled row, added to Arrow rows so the sample follows their order


def unique_outcome(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    exp: RowExpectation,
    where: str = "true",
    params: Sequence[object] = (),
) -> Outcome:
    """Rows of `suite.relation` selected by `where` whose `exp.columns` values occur more than once."""
    present = {
        r[0]
        for r in conn.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            suite.relation.split(".", 1),
        ).fetchall()
    }
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
    import numpy as np
    import pyarrow as pa

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
    # Rows grouped by a 64-bit hash of the key first (one integer to group on: 0.7 s instead of 1.6 s for the four
    # key columns of a 5M-event load). Distinct hashes mean distinct keys, so without a repeated hash no key repeats;
    # a repeated hash is either a repeated key or a collision, and only those rows are grouped by the key itself.
    element, skipped, repeated_hashes = conn.execute(
        f"""select coalesce(sum(n), 0), coalesce(sum(n) filter (where all_null), 0),
                   count(*) filter (where n > 1 and not all_null)
            from (select count(*) as n, ({all_null}) as all_null
                  from {unit} as u group by hash({cols}), ({all_null}))""",
        params,
    ).fetchall()[0]
    unexpected, keys = 0, []
    if repeated_hashes:
        (unexpected,) = conn.execute(
            f"""with unit as (select * from {unit} as u where not ({all_null})),
                     repeated as (select hash({cols}) as h from unit group by h having count(*) > 1)
                select coalesce(sum(n) filter (where n > 1), 0)
                from (select count(*) as n from unit where hash({cols}) in (select h from repeated) group by {cols})""",
            params,
        ).fetchall()[0]
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
