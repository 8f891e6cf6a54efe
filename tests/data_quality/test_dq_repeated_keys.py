"""The staging key's uniqueness per key (keyed_suite._repeated_keys): only rows whose key hash repeats are grouped,
with the answer of grouping every row."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from data_quality.keyed_suite import _repeated_keys

# Every row grouped by the key as the failing-key sample shows it (NULL as '<null>'): the reference.
EVERY_ROW = """select coalesce(k::varchar, '<null>') as k,
                      case when bool_or(k is null) then count(*) else 0 end as missing,
                      case when bool_or(k is null) then 0 else count(*) end as unexpected
               from rows group by all having count(*) > 1 or bool_or(k is null)"""


def _per_key(keys: list[str | None]) -> tuple[list[dict], list[dict]]:
    rows = pa.table({"k": pa.array(keys, pa.string()), "v": pa.array(range(len(keys)))})
    with duckdb.connect() as conn:
        conn.register("rows", rows)
        found = _repeated_keys(conn, "rows", "k").to_pylist()
        reference = conn.sql(EVERY_ROW).to_arrow_table().to_pylist()
    return sorted(found, key=lambda r: r["k"]), sorted(reference, key=lambda r: r["k"])


def test_repeated_and_missing_keys_are_those_of_a_full_grouping() -> None:
    found, reference = _per_key(["A", "B", "A", None, "C", "B", "A", None, "D"])
    # by hand: A three times (3 unexpected), B twice (2), two rows without a key (2 missing), C and D once (pass)
    assert found == [
        {"k": "<null>", "missing": 2, "unexpected": 0},
        {"k": "A", "missing": 0, "unexpected": 3},
        {"k": "B", "missing": 0, "unexpected": 2},
    ]
    assert found == reference


def test_a_single_row_without_key_is_kept_and_unique_keys_give_nothing() -> None:
    found, reference = _per_key(["A", None, "B"])
    # by hand: one row with no key is not judged (1 missing) although its hash does not repeat; A and B pass
    assert found == [{"k": "<null>", "missing": 1, "unexpected": 0}] == reference
    assert _per_key(["A", "B", "C"]) == ([], [])


def test_a_key_spelled_like_the_null_marker_groups_with_the_null_rows_as_before() -> None:
    found, reference = _per_key(["<null>", None, "A"])
    # by hand: the text '<null>' and the NULL key share the sample's spelling, so they form one group of 2 rows
    # holding a NULL: 2 missing (the full grouping's answer, kept unchanged)
    assert found == [{"k": "<null>", "missing": 2, "unexpected": 0}] == reference
