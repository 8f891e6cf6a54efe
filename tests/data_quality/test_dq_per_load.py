"""Raw checks validate each load once and reuse its outcome; other relations are validated whole on every run.

Real DuckDB, real GX. The reference for "the same result" is a full re-check: `reuse=False` (every row validated
now) and the whole-table GX route (one frame of every row, as before per-load reuse existed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from dq_rows import by_name, insert_raw, new_warehouse, ticket, ts

from data_quality.frames import load_frame
from data_quality.gx_engine import validate_frame
from data_quality.incremental import UNITS_TABLE
from data_quality.incremental.loads import current_filter, superseded_rows
from data_quality.runner import run_table_suite
from data_quality.specs import Status
from data_quality.suites import RAW_SUITES, STAGING_SUITES

RAW = {s.relation: s for s in RAW_SUITES}
TICKETS = RAW["raw.tickets"]
STG_TICKETS = next(s for s in STAGING_SUITES if s.relation == "staging.stg_raw__tickets")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def conn():
    connection = new_warehouse()
    yield connection
    connection.close()


def _stored_units(conn, check_name: str) -> list[tuple]:
    return conn.execute(
        f"select unit, status, unexpected_count from {UNITS_TABLE} where check_name = ? order by unit, checked_at",
        [check_name],
    ).fetchall()


def test_bad_row_in_load_1_keeps_failing_a_run_that_only_adds_a_clean_load_2(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", priority=9)], load_id=1)
    first = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC3")], load_id=2)  # clean re-export + a new ticket
    second = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    # INC2's priority 9 in load 1 is the only bad row in raw, before and after load 2 arrived (load 2 did not
    # re-export INC2, so its load-1 row is still the current one)
    for result in (first, second):
        assert (result.status, result.failing_row_count, result.failing_keys_sample) == (Status.FAILED, 1, ["INC2|1"])
        assert result.blocks
    # current rows: INC2|1 (INC1|1 was replaced by INC1|2), INC1|2, INC3|2 -> 1 of 3 = 33.3 %
    assert second.observed_value == pytest.approx(100 / 3)
    # load 1 lost a current row to load 2, so its stored outcome no longer fits: both loads validated now
    assert "2 load(s) in raw.tickets: 2 validated now, 0 by earlier runs" in second.details
    stored = [("load 1", "failed", 1), ("load 1", "failed", 1), ("load 2", "passed", 0)]
    assert _stored_units(conn, "raw_tickets__priority__in_set") == stored


def test_a_load_that_adds_nothing_to_old_keys_leaves_their_loads_validated_once(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", priority=9)], load_id=1)
    run_table_suite(conn, TICKETS)
    insert_raw(conn, "tickets", [ticket("INC3")], load_id=2)  # a new ticket only: load 1's rows stay current
    second = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    assert (second.status, second.failing_keys_sample) == (Status.FAILED, ["INC2|1"])
    assert "2 load(s) in raw.tickets: 1 validated now, 1 by earlier runs" in second.details
    assert _stored_units(conn, "raw_tickets__priority__in_set") == [("load 1", "failed", 1), ("load 2", "passed", 0)]


def test_a_bad_row_corrected_by_a_re_export_no_longer_fails_and_stays_in_raw(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", resolved_at=ts("2025-01-06 08:00"))], load_id=1)
    before = by_name(run_table_suite(conn, TICKETS))["raw_tickets__opened_at_before_resolved_at"]
    assert (before.status, before.failing_keys_sample) == (Status.FAILED, ["INC2|1"])  # resolved 1 h before opened
    insert_raw(conn, "tickets", [ticket("INC2")], load_id=2)  # the corrected re-export: resolved 10:00
    after = by_name(run_table_suite(conn, TICKETS))["raw_tickets__opened_at_before_resolved_at"]
    assert (after.status, after.failing_row_count, after.blocks) == (Status.PASSED, 0, False)
    assert "0 of 2 rows unexpected" in after.details  # the current rows: INC1|1 and INC2|2
    # the superseded row is history, kept in raw
    assert conn.execute("select count(*) from raw.tickets where ticket_id = 'INC2'").fetchone()[0] == 2


def test_run_with_no_new_load_validates_nothing_again(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", state=None)], load_id=1)
    first = run_table_suite(conn, TICKETS)
    stored = conn.execute(f"select count(*) from {UNITS_TABLE}").fetchone()[0]
    second = run_table_suite(conn, TICKETS)
    assert stored == len(TICKETS.expectations)  # one outcome per check for the one load
    assert conn.execute(f"select count(*) from {UNITS_TABLE}").fetchone()[0] == stored  # nothing validated again
    assert [(r.check_name, r.status, r.failing_row_count, r.failing_keys_sample) for r in second] == [
        (r.check_name, r.status, r.failing_row_count, r.failing_keys_sample) for r in first
    ]
    assert by_name(second)["raw_tickets__state__not_null"].failing_keys_sample == ["INC2|1"]
    assert "1 load(s) in raw.tickets: 0 validated now, 1 by earlier runs" in second[0].details


def _comparable(results) -> list[tuple]:
    return [
        (r.check_name, r.status, r.failing_row_count, r.observed_value, sorted(r.failing_keys_sample)) for r in results
    ]


def _current_frame(conn):
    """Every current raw row (no later load of its key) in one frame: the whole-table reference."""
    superseded = superseded_rows(conn, TICKETS)
    try:
        return load_frame(conn, TICKETS, current_filter(superseded))
    finally:
        conn.unregister(superseded)


LOADS = {
    # load 1: INC2 missing state, INC3 resolved before opened, INC4 twice in the file, INC8 with priority 9
    1: [
        ticket("INC1"),
        ticket("INC2", state=None),
        ticket("INC3", resolved_at=ts("2025-01-06 08:00")),
        ticket("INC4"),
        ticket("INC4"),
        ticket("INC8", priority=9),
    ],
    # load 2: clean re-export of INC2 and INC3 (corrected) plus INC5 with an unknown priority and no response time
    2: [ticket("INC2"), ticket("INC3"), ticket("INC5", priority=0, first_response_at=None)],
    # load 3: INC6 with impact 7 and reopen_count -1; INC7 clean with nulls in optional columns
    3: [ticket("INC6", impact=7, reopen_count=-1), ticket("INC7", resolved_at=None, closed_at=None, state="new")],
}


def test_outcomes_added_up_over_loads_equal_a_full_recheck(conn):
    for load_id, rows in LOADS.items():  # one run per arriving load, as the pipeline does
        insert_raw(conn, "tickets", rows, load_id=load_id)
        incremental = run_table_suite(conn, TICKETS)
    recheck = run_table_suite(conn, TICKETS, reuse=False)
    whole_table = validate_frame(TICKETS, _current_frame(conn))  # one GX validation of every current raw row
    assert _comparable(incremental) == _comparable(recheck) == _comparable(whole_table)
    results = by_name(incremental)
    # hand count over the 9 current raw rows (load 1: INC1, INC4 twice, INC8; load 2: INC2, INC3, INC5; load 3:
    # INC6, INC7); INC2|1 and INC3|1 were replaced by load 2's corrected rows and are no longer judged
    assert results["raw_tickets__state__not_null"].status is Status.PASSED
    assert results["raw_tickets__opened_at_before_resolved_at"].status is Status.PASSED
    dup = results["raw_tickets__key_unique_per_load"]
    assert (dup.failing_row_count, dup.failing_keys_sample) == (2, ["INC4|1"])  # both rows of the repeat
    assert results["raw_tickets__priority__in_set"].failing_keys_sample == ["INC8|1", "INC5|2"]
    assert results["raw_tickets__impact__in_range"].failing_keys_sample == ["INC6|3"]
    assert results["raw_tickets__reopen_count__in_range"].failing_keys_sample == ["INC6|3"]
    # 2 of 9 current rows have a priority outside 1-4 -> 22.2 %; impact is set only on INC6 -> 1 of 1 judged -> 100 %
    assert results["raw_tickets__priority__in_set"].observed_value == pytest.approx(200 / 9)
    assert results["raw_tickets__impact__in_range"].observed_value == pytest.approx(100.0)


def test_load_whose_row_count_changed_is_validated_again(conn):
    insert_raw(conn, "tickets", [ticket("INC1")], load_id=1)
    assert by_name(run_table_suite(conn, TICKETS))["raw_tickets__state__not_null"].status is Status.PASSED
    # rows appended under an existing load id (not what the loader does): the stored outcome no longer fits
    conn.execute(
        """insert into raw.tickets (ticket_id, ticket_type, opened_at, state, priority, _source_file, _file_sha256,
               _row_number, _loaded_at, _load_id)
           values ('INC9', 'incident', '2025-01-06 09:00+00', null, 3, 'x', 'y', 2, '2025-01-10 00:00+00', 1)"""
    )
    result = by_name(run_table_suite(conn, TICKETS))["raw_tickets__state__not_null"]
    assert (result.status, result.failing_keys_sample) == (Status.FAILED, ["INC9|1"])


def test_load_no_longer_in_raw_no_longer_counts(conn):
    insert_raw(conn, "tickets", [ticket("INC2", priority=9), ticket("INC8", priority=9)], load_id=1)
    insert_raw(conn, "tickets", [ticket("INC2")], load_id=2)  # corrects INC2 only
    before = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    assert (before.status, before.failing_keys_sample) == (Status.FAILED, ["INC8|1"])
    conn.execute("delete from raw.tickets where _load_id = 1")  # e.g. a retention purge of old history
    result = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    assert (result.status, result.failing_row_count) == (Status.PASSED, 0)
    # load 2's stored outcome still fits (its current rows are unchanged): nothing is validated again
    assert "1 load(s) in raw.tickets: 0 validated now, 1 by earlier runs" in result.details


def test_changed_rule_validates_stored_loads_again(conn):
    insert_raw(conn, "tickets", [ticket("INC1", priority=4)], load_id=1)
    assert by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"].status is Status.PASSED
    narrower = tuple(
        replace(e, value_set=(1, 2, 3)) if e.name == "raw_tickets__priority__in_set" else e
        for e in TICKETS.expectations
    )
    result = by_name(run_table_suite(conn, replace(TICKETS, expectations=narrower)))["raw_tickets__priority__in_set"]
    # priority 4 is outside the new set {1, 2, 3}: the outcome stored under the old rule is not reused
    assert (result.status, result.failing_keys_sample) == (Status.FAILED, ["INC1|1"])


def _staging(conn, rows: list[tuple[str, str]]) -> None:
    conn.execute("create schema if not exists reference")
    conn.execute("create or replace table reference.services as select * from (values ('email'), ('erp')) s(service)")
    conn.execute("create schema if not exists staging")
    conn.execute("create or replace table staging.stg_raw__tickets (ticket_id varchar, service varchar)")
    conn.executemany("insert into staging.stg_raw__tickets values (?, ?)", rows)


def test_staging_relation_is_validated_whole_on_every_run(conn):
    _staging(conn, [("INC1", "email"), ("INC2", "crm")])
    first = by_name(run_table_suite(conn, STG_TICKETS))["stg_tickets__service__in_services"]
    again = by_name(run_table_suite(conn, STG_TICKETS))["stg_tickets__service__in_services"]
    _staging(conn, [("INC1", "email"), ("INC2", "erp")])  # the latest export fixed INC2's service
    fixed = by_name(run_table_suite(conn, STG_TICKETS))["stg_tickets__service__in_services"]
    assert (first.status, first.failing_keys_sample, first.details.endswith("validated now")) == (
        Status.FAILED,
        ["INC2"],
        True,
    )
    assert (again.status, again.failing_keys_sample) == (Status.FAILED, ["INC2"])
    assert again.details.endswith("every row validated now")
    assert (fixed.status, fixed.failing_row_count, fixed.details.endswith("validated now")) == (Status.PASSED, 0, True)
    # the reference is part of the rule: adding 'crm' to the services makes the old INC2 row pass
    _staging(conn, [("INC1", "email"), ("INC2", "crm")])
    conn.execute("insert into reference.services values ('crm')")
    assert by_name(run_table_suite(conn, STG_TICKETS))["stg_tickets__service__in_services"].status is Status.PASSED


RUN_IN_FRESH_PROCESS = """
import json, sys
import duckdb
from datetime import datetime, UTC
from data_quality.runner import run_all
conn = duckdb.connect(sys.argv[1])
conn.execute("SET TimeZone = 'UTC'")
results = run_all(conn, as_of=datetime(2025, 1, 7, tzinfo=UTC))
print(json.dumps({"gx_imported": "great_expectations" in sys.modules,
                  "results": [[r.check_name, str(r.status), r.failing_row_count, r.failing_keys_sample]
                              for r in results]}))
"""


def _run_all_in_fresh_process(path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", RUN_IN_FRESH_PROCESS, str(path)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_run_with_no_new_load_does_not_import_great_expectations(tmp_path: Path):
    path = tmp_path / "itsm.duckdb"
    conn = new_warehouse(path)
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", priority=9)], load_id=1)
    insert_raw(conn, "surveys", [{"survey_id": "S1", "sent_at": ts("2025-01-06 12:00"), "csat_score": 6}])
    _staging(conn, [("INC1", "email"), ("INC2", "crm")])
    conn.close()
    first = _run_all_in_fresh_process(path)  # every load and the staging table are new: GX validates them
    second = _run_all_in_fresh_process(path)  # nothing new
    assert first["gx_imported"] and not second["gx_imported"]
    assert second["results"] == first["results"]
    outcomes = {name: (status, count, keys) for name, status, count, keys in second["results"]}
    assert outcomes["raw_tickets__priority__in_set"] == ("failed", 1, ["INC2|1"])
    assert outcomes["raw_surveys__csat_score__in_range"] == ("failed", 1, ["S1|1"])  # 6 > 5
    assert outcomes["stg_tickets__service__in_services"] == ("failed", 1, ["INC2"])


def test_empty_raw_tables_pass_with_zero_rows_and_no_gx(tmp_path: Path):
    path = tmp_path / "itsm.duckdb"
    new_warehouse(path).close()  # raw schema, nothing loaded
    run = _run_all_in_fresh_process(path)
    raw_rows = [r for r in run["results"] if r[0].startswith("raw_tickets__") and r[0].endswith("__not_null")]
    assert not run["gx_imported"]
    assert raw_rows and all(status == "passed" and count == 0 for _, status, count, _ in raw_rows)


def test_a_change_to_a_column_only_a_sql_rule_reads_is_seen_next_run(conn):
    from data_quality.specs import RowExpectation, Severity, TableSuite

    rules = (
        RowExpectation("label_set", "not_null", ("label",), Severity.BLOCKING),
        RowExpectation("code_unique", "unique", ("code",), Severity.BLOCKING, engine="sql"),
    )
    suite = TableSuite("t", "main.latest", ("t",), ("id",), rules)
    conn.execute("create table main.latest as select * from (values (1, 'a', 'X'), (2, 'b', 'Y')) t(id, label, code)")
    first = by_name(run_table_suite(conn, suite))["code_unique"]
    conn.execute("update main.latest set code = 'X' where id = 2")  # only the SQL rule's column changed
    second = by_name(run_table_suite(conn, suite))["code_unique"]
    assert (first.status, second.status) == (Status.PASSED, Status.FAILED)
    assert (second.failing_row_count, second.failing_keys_sample) == (2, ["1", "2"])  # both rows with code X
