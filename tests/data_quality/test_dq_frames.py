"""Frames handed to GX: text widened to Arrow large strings before pandas gives the frame pandas' own conversion
gives (frames.to_pandas), so GX judges the same values."""

from __future__ import annotations

import duckdb
import pandas.testing as pdt
import pyarrow as pa

from data_quality.frames import to_pandas
from data_quality.gx_engine import validate_outcomes
from data_quality.specs import RowExpectation, Severity, Status, TableSuite

ROWS = """select * from (values
    (1, 'INC1', 'new',      2, timestamptz '2025-01-01 09:00:00+00'),
    (2, 'INC2', null,       9, null),
    (3, '',     'résolu ✓', null, timestamptz '2025-03-30 01:30:00+00'),
    (4, 'INC4', 'closed',   1, timestamptz '2025-01-02 10:00:00+00')
) t(id, ticket_id, state, priority, opened_at)"""

SUITE = TableSuite(
    name="frames",
    relation="main.frames",
    asset_key=("frames",),
    key_columns=("id",),
    expectations=(
        RowExpectation("state_not_null", "not_null", ("state",), Severity.BLOCKING),
        RowExpectation("state_in_set", "in_set", ("state",), Severity.BLOCKING, value_set=("new", "closed")),
        RowExpectation("priority_between", "between", ("priority",), Severity.BLOCKING, min_value=1, max_value=4),
    ),
)


def _rows() -> pa.Table:
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return conn.sql(ROWS).to_arrow_table()


def test_frame_is_the_one_pandas_builds_itself() -> None:
    rows = _rows()
    assert pa.types.is_string(rows.schema.field("state").type)  # DuckDB's 32-bit-offset text: the case widened
    pdt.assert_frame_equal(to_pandas(rows), rows.to_pandas(), check_exact=True)


def test_gx_outcomes_are_the_same_on_either_frame() -> None:
    rows = _rows()
    widened, plain = validate_outcomes(SUITE, to_pandas(rows)), validate_outcomes(SUITE, rows.to_pandas())
    assert widened == plain
    # by hand: state null in id 2 (1 of 4); 'résolu ✓' not in the set (1 of the 3 non-null); priority 9 (id 2)
    # outside 1-4 (1 of the 3 non-null)
    assert widened["state_not_null"].unexpected_count == 1
    assert widened["state_in_set"].unexpected_count == 1
    assert widened["state_in_set"].sample_keys == ("3",)
    assert widened["priority_between"].sample_keys == ("2",)
    assert {o.status for o in widened.values()} == {Status.FAILED}
