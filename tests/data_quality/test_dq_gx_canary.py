"""Canary: fails if a Great Expectations, pandas or DuckDB upgrade silently turns checks into passes or errors.

A known-bad table goes the production route (DuckDB table -> select columns -> pandas -> GX suite) and every
expectation kind must report exactly the number of bad rows planted, which DuckDB also counts independently in
plain SQL; the same table with the bad rows removed must pass every expectation without an error.
"""

from __future__ import annotations

import pytest

from data_quality.frames import load_frame
from data_quality.gx_engine import validate_frame
from data_quality.specs import RowExpectation, Severity, Status, TableSuite

B = Severity.BLOCKING

CANARY = TableSuite(
    name="canary",
    relation="main.canary",
    asset_key=("canary",),
    key_columns=("id",),
    expectations=(
        RowExpectation("not_null", "not_null", ("label",), B),
        RowExpectation("unique", "unique", ("code",), B),
        RowExpectation("compound_unique", "unique", ("code", "batch"), B),
        RowExpectation("in_set", "in_set", ("prio",), B, value_set=(1, 2, 3, 4)),
        RowExpectation("in_text_set", "in_set", ("label",), B, value_set=("a", "b")),
        RowExpectation("between", "between", ("score",), B, min_value=1, max_value=5),
        RowExpectation("ordered", "ordered", ("t0", "t1"), B),
        RowExpectation("ordered_strict", "ordered", ("t0", "t1"), B, strict=True),
        RowExpectation("in_reference", "in_reference", ("label",), B, reference="ref.values.v"),
    ),
)

# The same rules in plain SQL: the number of rows each expectation must flag on the canary table.
SQL_COUNTS = {
    "not_null": "count(*) filter (where label is null)",
    "unique": "count(*) filter (where code in (select code from canary group by code having count(*) > 1))",
    "compound_unique": """count(*) filter (where (code, batch) in
                           (select (code, batch) from canary group by code, batch having count(*) > 1))""",
    "in_set": "count(*) filter (where prio not in (1, 2, 3, 4))",
    "in_text_set": "count(*) filter (where label not in ('a', 'b'))",
    "between": "count(*) filter (where score < 1 or score > 5)",
    "ordered": "count(*) filter (where t1 < t0)",
    "ordered_strict": "count(*) filter (where t1 <= t0)",
    "in_reference": "count(*) filter (where label not in ('a', 'b'))",
}

# Planted defects per id (hand count per expectation):
#   not_null: id 3                     -> 1     unique(code): ids 4, 5 share 'X'        -> 2
#   compound(code, batch): ids 4, 5    -> 2     in_set(prio): 6 (prio 9), 7 (prio 0)     -> 2
#   in_text_set / in_reference: 8 ('z') -> 1    between(score): 2 (0), 9 (6)             -> 2
#   ordered t0 <= t1: id 10            -> 1     ordered strict t0 < t1: ids 10, 11 (equal) -> 2
EXPECTED = {
    "not_null": (1, ["3"]),
    "unique": (2, ["4", "5"]),
    "compound_unique": (2, ["4", "5"]),
    "in_set": (2, ["6", "7"]),
    "in_text_set": (1, ["8"]),
    "between": (2, ["2", "9"]),
    "ordered": (1, ["10"]),
    "ordered_strict": (2, ["10", "11"]),
    "in_reference": (1, ["8"]),
}

ROWS = """
    (1,  'a',  'A', 1, 1, 3, '2025-01-01 00:00+00', '2025-01-01 01:00+00'),
    (2,  'a',  'B', 1, 2, 0, '2025-01-01 00:00+00', '2025-01-01 01:00+00'),
    (3,  null, 'C', 1, 3, 3, '2025-01-01 00:00+00', null),
    (4,  'b',  'X', 1, 4, 3, null,                  '2025-01-01 01:00+00'),
    (5,  'b',  'X', 1, 4, 3, '2025-01-01 00:00+00', '2025-01-01 01:00+00'),
    (6,  'a',  'D', 1, 9, 3, '2025-01-01 00:00+00', '2025-01-01 01:00+00'),
    (7,  'a',  'E', 1, 0, 3, '2025-01-01 00:00+00', '2025-01-01 01:00+00'),
    (8,  'z',  'F', 1, 1, 3, '2025-01-01 00:00+00', '2025-01-01 01:00+00'),
    (9,  'a',  'G', 1, 2, 6, '2025-01-01 00:00+00', '2025-01-01 01:00+00'),
    (10, 'a',  'H', 1, 3, 3, '2025-01-01 02:00+00', '2025-01-01 01:00+00'),
    (11, 'a',  'I', 1, 4, 3, '2025-01-01 01:00+00', '2025-01-01 01:00+00'),
    (12, 'b',  'J', 2, 1, 5, '2025-01-01 00:00+00', '2025-01-01 00:00:01+00')
"""
BAD_IDS = (2, 3, 4, 6, 7, 8, 9, 10, 11)


@pytest.fixture(scope="module")
def conn():
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(
        f"""create table canary as select * from (values {ROWS})
            t(id, label, code, batch, prio, score, t0, t1)"""
    )
    connection.execute("alter table canary alter t0 type timestamptz; alter table canary alter t1 type timestamptz")
    connection.execute("create schema ref; create table ref.values as select * from (values ('a'), ('b')) v(v)")
    yield connection
    connection.close()


def _validate(conn, where: str = "true") -> dict:
    conn.execute(f"create or replace view main.canary_view as select * from canary where {where}")
    suite = TableSuite(CANARY.name, "main.canary_view", CANARY.asset_key, CANARY.key_columns, CANARY.expectations)
    frame = load_frame(conn, suite)
    return {r.check_name: r for r in validate_frame(suite, frame, {"ref.values.v": ["a", "b"]})}


def test_known_bad_table_gives_exact_counts_and_keys(conn):
    results = _validate(conn)
    for name, (count, keys) in EXPECTED.items():
        r = results[name]
        assert r.status is Status.FAILED, (name, r.status, r.details)
        assert (r.failing_row_count, sorted(r.failing_keys_sample, key=int)) == (count, keys), name


def test_counts_agree_with_plain_sql(conn):
    results = _validate(conn)
    for name, expr in SQL_COUNTS.items():
        (sql_count,) = conn.execute(f"select {expr} from canary").fetchone()
        assert results[name].failing_row_count == sql_count, name


def test_same_table_without_the_bad_rows_passes_without_errors(conn):
    results = _validate(conn, where=f"id not in {BAD_IDS}")
    assert len(results) == len(CANARY.expectations)
    assert {r.status for r in results.values()} == {Status.PASSED}
    assert all(r.failing_row_count == 0 for r in results.values())


def test_missing_column_is_an_error_not_a_pass(conn):
    suite = TableSuite("c", "main.canary", ("c",), ("id",), (RowExpectation("gone", "not_null", ("nope",), B),))
    (r,) = validate_frame(suite, load_frame(conn, TableSuite("c", "main.canary", ("c",), ("id",), ())))
    assert r.status is Status.ERROR and r.blocks


def test_engine_exception_is_an_error_not_a_pass(conn):
    # Comparing text with numbers raises inside GX; the result must say so, not read as passed.
    exp = RowExpectation("text_between", "between", ("label",), B, min_value=1, max_value=5)
    suite = TableSuite("c", "main.canary", ("c",), ("id",), (exp,))
    (r,) = validate_frame(suite, load_frame(conn, suite))
    assert r.status is Status.ERROR, r
    assert "GX raised" in r.details


def test_empty_frame_answer_without_gx_equals_the_answer_of_gx(conn):
    # validate_outcomes answers zero rows itself (GX is not imported for them); GX must give the same on them.
    from data_quality.gx_engine import _validate_with_gx, validate_outcomes

    conn.execute("create or replace view main.canary_empty as select * from canary where false")
    suite = TableSuite(CANARY.name, "main.canary_empty", CANARY.asset_key, CANARY.key_columns, CANARY.expectations)
    frame, references = load_frame(conn, suite), {"ref.values.v": ["a", "b"]}
    ours = validate_outcomes(suite, frame, references)
    assert len(frame) == 0 and {o.status for o in ours.values()} == {Status.PASSED}
    assert ours == _validate_with_gx(suite, suite.expectations, frame, references)


def test_narrow_integers_reach_gx_as_int64(conn):
    # GX's pandas `between` is vectorized for int64/float64 only; INTEGER columns are widened when pulled.
    frame = load_frame(conn, CANARY)
    assert (str(frame["prio"].dtype), str(frame["score"].dtype)) == ("int64", "int64")


def test_gx_batch_fingerprint_knob_still_exists():
    # gx_context() turns off GX's md5 fingerprint of every pandas batch through this module constant; if an
    # upgrade renames it the setting silently stops working (slower, same results): this test says so.
    from great_expectations.execution_engine import pandas_execution_engine

    from data_quality.gx_engine import gx_context

    gx_context()
    assert pandas_execution_engine.HASH_THRESHOLD == 0


KEYS = """(1, 'A', 1), (2, 'A', 1), (3, 'B', 1), (4, 'B', 2), (5, null, null), (6, null, null), (7, null, 1),
          (8, 'C', 1), (9, 'A', 1)"""


def test_sql_uniqueness_gives_the_answer_of_gx(conn):
    # Key uniqueness inside a raw load is counted in DuckDB (engine "sql"); it must equal GX's own outcome.
    from dataclasses import replace

    from data_quality.gx_engine import validate_outcomes
    from data_quality.sql_rows import unique_outcome

    conn.execute(f"create or replace table main.keys as select * from (values {KEYS}) t(id, code, batch)")
    exps = (RowExpectation("code", "unique", ("code",), B), RowExpectation("pair", "unique", ("code", "batch"), B))
    suite = TableSuite("keys", "main.keys", ("keys",), ("id",), exps)
    by_gx = validate_outcomes(suite, load_frame(conn, suite), {})
    by_sql = {e.name: unique_outcome(conn, suite, replace(e, engine="sql")) for e in exps}
    assert by_sql == by_gx
    # code: A in ids 1, 2, 9 and B in 3, 4 repeat -> 5 rows; 3 null codes are not judged
    assert (by_sql["code"].unexpected_count, by_sql["code"].missing_count) == (5, 3)
    assert by_sql["code"].sample_keys == ("1", "2", "3", "4", "9")
    # (code, batch): (A, 1) in ids 1, 2, 9 -> 3 rows; (null, null) twice is all-missing, not judged
    assert (by_sql["pair"].unexpected_count, by_sql["pair"].missing_count, by_sql["pair"].element_count) == (3, 2, 9)


def test_rules_split_into_narrow_gx_batches_give_the_answer_of_one_suite_on_the_whole_frame(conn):
    # GX validates the rules reading the same columns together, on a frame of just those columns (gx_batches);
    # every count and failing index must equal one GX suite over the whole frame.
    from data_quality.gx_engine import _validate_with_gx, gx_batches

    frame, references = load_frame(conn, CANARY), {"ref.values.v": ["a", "b"]}
    # label: not_null, in_text_set, in_reference; code; code + batch; prio; score; t0 + t1: ordered, ordered_strict
    assert sorted(len(exps) for _, exps in gx_batches(CANARY.expectations)) == [1, 1, 1, 1, 2, 3]
    split = _validate_with_gx(CANARY, CANARY.expectations, frame, references)
    whole = _validate_with_gx(CANARY, CANARY.expectations, frame, references, one_batch=True)
    assert split == whole
    assert {name: (o.unexpected_count, sorted(o.sample_keys, key=int)) for name, o in split.items()} == EXPECTED


def test_sql_reference_check_gives_the_answer_of_gx(conn):
    # Values checked against a reference table are counted in DuckDB (engine "sql"); it must equal GX's own outcome.
    from dataclasses import replace

    from data_quality.gx_engine import validate_outcomes
    from data_quality.sql_rows import reference_outcome

    (rule,) = [e for e in CANARY.expectations if e.kind == "in_reference"]
    suite = TableSuite(CANARY.name, CANARY.relation, CANARY.asset_key, CANARY.key_columns, (rule,))
    by_gx = validate_outcomes(suite, load_frame(conn, suite), {"ref.values.v": ["a", "b"]})[rule.name]
    by_sql = reference_outcome(conn, suite, replace(rule, engine="sql"))
    assert by_sql == by_gx
    # label 'z' (id 8) is not in ref.values; the null label (id 3) is not judged
    assert (by_sql.unexpected_count, by_sql.missing_count, by_sql.sample_keys) == (1, 1, ("8",))
