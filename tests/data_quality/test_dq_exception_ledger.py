"""Exceptions-only reconciliation ledgers (raw -> staging): only keys that are not plain are kept, plain keys are
counted, and every run gives the answer of the stateless full compare (sql_checks.check_layers).

Staging here is a DuckDB view with the staging models' rule (latest row per key) plus two planted faults that
depend only on a key's own raw rows, as the keyed rule assumes: a key whose latest row says 'lost' is missing
from staging, one whose latest row says 'twice' is there twice.
"""

from __future__ import annotations

import duckdb
import pytest
from dq_rows import insert_raw, new_warehouse, ticket

from data_quality.check_state import KEYED_STATE_TABLE, RECON_KEYS_TABLE
from data_quality.keyed_reconciliation import check_reconciliation
from data_quality.specs import Status
from data_quality.sql_checks import check_layers
from data_quality.suites import RECONCILIATIONS

RAW_TO_STAGING = next(r for r in RECONCILIATIONS if r.name == "raw_to_staging__tickets")

LATEST = """select * from raw.tickets
            qualify row_number() over (partition by ticket_id order by _load_id desc, _row_number desc) = 1"""
FAULTY_STAGING = f"""create or replace view staging.stg_raw__tickets as
    select * from ({LATEST}) where state is distinct from 'lost'
    union all
    select * from ({LATEST}) where state = 'twice'"""


@pytest.fixture
def conn():
    connection = new_warehouse()
    connection.execute("create schema staging")
    connection.execute(FAULTY_STAGING)
    yield connection
    connection.close()


def _check(conn: duckdb.DuckDBPyConnection) -> tuple:
    """The keyed result, checked against the full compare; what a reader sees of it, and how it was obtained."""
    result, reference = check_reconciliation(conn, RAW_TO_STAGING), check_layers(conn, RAW_TO_STAGING)
    assert result.details.startswith(reference.details)
    answer = (result.status, result.failing_row_count, result.observed_value, result.failing_keys_sample)
    assert answer == (reference.status, reference.failing_row_count, reference.observed_value,
                      reference.failing_keys_sample)  # fmt: skip
    return *answer, result.details.rsplit("; ", 1)[-1]


def _compared(keys: int, watermark: int) -> str:
    return f"{keys} key(s) of loads after {watermark} compared now, the others kept from earlier runs"


def _ledger(conn: duckdb.DuckDBPyConnection) -> tuple[list[tuple], int]:
    rows = conn.execute(
        f"select k, kept, n_source, n from {RECON_KEYS_TABLE} where check_name = ? order by k nulls first",
        [RAW_TO_STAGING.name],
    ).fetchall()
    ((plain,),) = conn.execute(
        f"select relation_rows from {KEYED_STATE_TABLE} where check_name = ?", [RAW_TO_STAGING.name]
    ).fetchall()
    return rows, plain


def test_exception_ledger_follows_keys_in_and_out_of_fault_with_the_full_compare_answer(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", state="lost"), ticket("INC3", state="twice"),
                                 ticket("INC4"), ticket(None)], load_id=1)  # fmt: skip
    # by hand: INC2 missing, INC3 twice in staging; kept source keys INC1-4 + the NULL key = 5; staging keys INC1,
    # INC3, INC4 = 3 distinct (observed), in 5 rows (INC3 twice, the NULL key once)
    first = (Status.FAILED, 2, 3.0, ["missing:INC2", "duplicated:INC3"], "every key compared (no ledger yet)")
    assert _check(conn) == first
    # only the keys that are not plain: INC2, INC3 and the NULL key (never plain); INC1, INC4 counted
    assert _ledger(conn) == ([(None, True, 1, 1), ("INC2", True, 1, 0), ("INC3", True, 1, 2)], 2)

    insert_raw(conn, "tickets", [ticket("INC1", state="lost"), ticket("INC2"), ticket("INC5")], load_id=2)
    # by hand: INC1 now missing, INC2 back (plain, 2 raw rows), INC5 new; INC3 still twice. Touched INC1, INC2,
    # INC5; INC1 was plain, so the untouched plain keys are 2 - 1 = 1 (INC4). Staging keys INC2-5 = 4 distinct
    assert _check(conn) == (Status.FAILED, 2, 4.0, ["missing:INC1", "duplicated:INC3"], _compared(3, 1))
    assert _ledger(conn) == ([(None, True, 1, 1), ("INC1", True, 2, 0), ("INC3", True, 1, 2)], 3)

    insert_raw(conn, "tickets", [ticket("INC3"), ticket(None)], load_id=3)
    # by hand: INC3 once now (plain), the NULL key has 2 raw rows and still one staging row; INC1 still missing
    assert _check(conn) == (Status.FAILED, 1, 4.0, ["missing:INC1"], _compared(2, 2))
    assert _ledger(conn) == ([(None, True, 2, 1), ("INC1", True, 2, 0)], 4)

    # no new load: nothing read, nothing rewritten, the same answer
    assert _check(conn) == (Status.FAILED, 1, 4.0, ["missing:INC1"], _compared(0, 3))
    assert _ledger(conn) == ([(None, True, 2, 1), ("INC1", True, 2, 0)], 4)


def test_a_clean_load_leaves_an_empty_ledger_and_counts_every_key(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")], load_id=1)
    insert_raw(conn, "tickets", [ticket("INC1", state="resolved")], load_id=2)
    assert _check(conn)[:4] == (Status.PASSED, 0, 2.0, [])  # INC1, INC2 each once in staging
    assert _ledger(conn) == ([], 2)
    insert_raw(conn, "tickets", [ticket("INC3"), ticket("INC1", state="lost")], load_id=3)
    # by hand: INC1 (plain before) is now missing, INC3 new: plain keys 2 - 1 + 1 = 2 (INC2, INC3)
    assert _check(conn) == (Status.FAILED, 1, 2.0, ["missing:INC1"], _compared(2, 2))
    assert _ledger(conn) == ([("INC1", True, 3, 0)], 2)
