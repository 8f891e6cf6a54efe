"""Incremental checks give the answers of a full check: new loads and touched keys only, nothing missed.

Real DuckDB, real GX, real Dagster runs. Staging here is a DuckDB view with the staging models' rule (latest row
per key: highest load, then last row of the file, as macros/latest_row_per_key.sql) and the incident mart a table
the test rebuilds the way dbt's incremental models do (the touched tickets deleted and inserted again), correctly
or with a planted fault. The reference for every answer is the stateless full compare (sql_checks.check_layers)
or a full re-validation (`reuse=False`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import AssetSpec, MaterializeResult, materialize, multi_asset
from dq_rows import by_name, insert_raw, log_load, new_warehouse, ticket

from data_quality.asset_checks import build_checks
from data_quality.check_state import KEYED_STATE_TABLE, RECON_KEYS_TABLE, SUITE_KEYS_TABLE, UNITS_TABLE
from data_quality.keyed_reconciliation import check_reconciliation
from data_quality.runner import AssetChecks, checks_by_asset, run_table_suite
from data_quality.specs import LayerReconciliation, Severity, Status
from data_quality.sql_checks import check_layers
from data_quality.suites import RAW_SUITES, RECONCILIATIONS, STAGING_SUITES
from pipelines.resources import WarehouseResource

ROOT = Path(__file__).resolve().parents[2]
TICKETS = next(s for s in RAW_SUITES if s.relation == "raw.tickets")
RECON = {r.name: r for r in RECONCILIATIONS}
RAW_TO_STAGING = RECON["raw_to_staging__tickets"]
TO_INCIDENTS = RECON["staging_to_fct_incident__tickets"]

STAGING_VIEW = """create or replace view staging.stg_raw__tickets as
    select * from raw.tickets
    qualify row_number() over (partition by ticket_id order by _load_id desc, _row_number desc) = 1"""


def _layers(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists staging")
    conn.execute("create schema if not exists marts")
    conn.execute(STAGING_VIEW)
    conn.execute("create table if not exists marts.fct_incident (ticket_id varchar)")


def _build_incidents(conn: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """dbt's incremental rule for the mart: the tickets of the new load deleted, their latest rows inserted."""
    touched = "select ticket_id from raw.tickets where _load_id = ?"
    conn.execute(f"delete from marts.fct_incident where ticket_id in ({touched})", [load_id])
    conn.execute(
        f"""insert into marts.fct_incident select ticket_id from staging.stg_raw__tickets
            where ticket_type = 'incident' and ticket_id in ({touched})""",
        [load_id],
    )


def _same(result, reference) -> tuple:
    """What a reader sees of a result, minus the note on how it was computed (details after the last ';')."""
    assert result.details.startswith(reference.details)
    return (result.status, result.failing_row_count, result.observed_value, result.failing_keys_sample)


def _answer(result) -> tuple:
    return (result.status, result.failing_row_count, result.observed_value, result.failing_keys_sample)


@pytest.fixture
def conn():
    connection = new_warehouse()
    _layers(connection)
    yield connection
    connection.close()


# --- reconciliations kept per key --------------------------------------------------------------------------------

LOADS = {
    1: [ticket("INC1"), ticket("INC2"), ticket("REQ1", ticket_type="request")],
    # a re-export of INC1 and a new incident
    2: [ticket("INC1", state="resolved"), ticket("INC3")],
    # a late correction: INC2 was a request all along (it leaves the incident mart); REQ1 becomes an incident
    3: [ticket("INC2", ticket_type="request"), ticket("REQ1")],
    # nothing about earlier tickets
    4: [ticket("INC4")],
}


def test_keyed_reconciliations_equal_a_full_compare_after_every_load(conn):
    notes = []
    for load_id, rows in LOADS.items():
        insert_raw(conn, "tickets", rows, load_id=load_id)
        _build_incidents(conn, load_id)
        for spec in (RAW_TO_STAGING, TO_INCIDENTS):
            reference = check_layers(conn, spec)
            result = check_reconciliation(conn, spec)
            assert _same(result, reference) == _answer(reference)
            notes.append(result.details.rsplit("; ", 1)[-1])
    # after load 4: INC1, INC2, REQ1, INC3, INC4 in staging; incidents INC1, INC3, REQ1, INC4 (INC2 left)
    final = check_reconciliation(conn, TO_INCIDENTS)
    assert (final.status, final.observed_value) == (Status.PASSED, 4.0)
    assert conn.execute("select count(*) from marts.fct_incident").fetchone() == (4,)
    # the first run compared every key; each later run only the keys its load brought (2, 2, 1 keys)
    assert notes[:2] == ["every key compared (no ledger yet)"] * 2
    assert notes[2:] == [f"{n} key(s) of loads after {w} compared now, the others kept from earlier runs" for n, w in
                         ((2, 1), (2, 1), (2, 2), (2, 2), (1, 3), (1, 3))]  # fmt: skip


def test_duplicate_key_split_across_two_loads_is_caught_by_the_incremental_compare(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")], load_id=1)
    _build_incidents(conn, 1)
    assert check_reconciliation(conn, TO_INCIDENTS).status is Status.PASSED
    insert_raw(conn, "tickets", [ticket("INC1", state="resolved")], load_id=2)  # a re-export of INC1
    # a faulty incremental build: the re-exported ticket appended without deleting its earlier row
    conn.execute("insert into marts.fct_incident values ('INC1')")
    result = check_reconciliation(conn, TO_INCIDENTS)
    # staging incidents INC1, INC2; the mart holds INC1 twice and INC2: 2 distinct keys, 1 duplicated
    assert _same(result, check_layers(conn, TO_INCIDENTS)) == (Status.FAILED, 1, 2.0, ["duplicated:INC1"])
    assert result.blocks
    assert result.details.endswith("1 key(s) of loads after 1 compared now, the others kept from earlier runs")


def test_a_fault_outside_the_touched_keys_is_caught_by_the_whole_mart_verification(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")], load_id=1)
    _build_incidents(conn, 1)
    assert check_reconciliation(conn, TO_INCIDENTS).status is Status.PASSED
    insert_raw(conn, "tickets", [ticket("INC3")], load_id=2)
    _build_incidents(conn, 2)
    # a faulty build lost INC2, which no new load touched, and repeated INC1: only a whole-mart look finds them
    conn.execute("delete from marts.fct_incident where ticket_id = 'INC2'")
    conn.execute("insert into marts.fct_incident values ('INC1')")
    result = check_reconciliation(conn, TO_INCIDENTS)
    expected = (Status.FAILED, 2, 2.0, ["missing:INC2", "duplicated:INC1"])  # INC1 twice, INC3 once: 2 distinct
    assert _same(result, check_layers(conn, TO_INCIDENTS)) == expected
    assert result.details.endswith("every key compared (a table side changed outside the touched keys)")


def test_a_changed_staging_definition_or_rewritten_raw_load_means_a_full_compare(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")], load_id=1)
    check_reconciliation(conn, RAW_TO_STAGING)
    # staging now keeps the first row per key instead of the latest: the ledger's assumption no longer holds
    conn.execute(STAGING_VIEW.replace("_load_id desc, _row_number desc", "_load_id, _row_number"))
    result = check_reconciliation(conn, RAW_TO_STAGING)
    assert result.details.endswith("every key compared (the rule or a side's definition changed)")
    # a row added to load 1 after the ledger saw it (raw is append-only by loads; this is not)
    insert_raw(conn, "tickets", [ticket("INC9")], load_id=1)
    result = check_reconciliation(conn, RAW_TO_STAGING)
    assert result.details.endswith("every key compared (raw loads up to 1 changed since the ledger was written)")
    assert _same(result, check_layers(conn, RAW_TO_STAGING)) == (Status.PASSED, 0, 3.0, [])  # INC1, INC2, INC9


def test_a_full_re_check_compares_every_key_and_rewrites_the_ledger(conn):
    insert_raw(conn, "tickets", [ticket("INC1")], load_id=1)
    _build_incidents(conn, 1)
    check_reconciliation(conn, TO_INCIDENTS)
    insert_raw(conn, "tickets", [ticket("INC2")], load_id=2)
    _build_incidents(conn, 2)
    result = check_reconciliation(conn, TO_INCIDENTS, reuse=False)  # what ITSM_FULL_REFRESH=1 asks for
    assert result.details.endswith("every key compared (full re-check asked)")
    assert _same(result, check_layers(conn, TO_INCIDENTS)) == (Status.PASSED, 0, 2.0, [])  # INC1, INC2 incidents
    again = check_reconciliation(conn, TO_INCIDENTS)  # nothing new since the full compare
    assert again.details.endswith("0 key(s) of loads after 2 compared now, the others kept from earlier runs")


def test_ledger_holds_one_row_per_key_and_the_watermark(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("REQ1", ticket_type="request")], load_id=1)
    _build_incidents(conn, 1)
    check_reconciliation(conn, TO_INCIDENTS)
    insert_raw(conn, "tickets", [ticket("INC1", state="resolved"), ticket("INC2")], load_id=2)
    _build_incidents(conn, 2)
    check_reconciliation(conn, TO_INCIDENTS)
    ledger = conn.execute(
        f"select k, kept, n_source, n from {RECON_KEYS_TABLE} where check_name = ? order by k", [TO_INCIDENTS.name]
    ).fetchall()
    # staging holds one latest row per ticket; REQ1 is not an incident (not kept, not in the mart)
    assert ledger == [("INC1", True, 1, 1), ("INC2", True, 1, 1), ("REQ1", False, 1, 0)]
    state = conn.execute(f"select watermark from {KEYED_STATE_TABLE} where check_name = ?", [TO_INCIDENTS.name])
    assert state.fetchall() == [(2,)]


# --- staging suites kept per key --------------------------------------------------------------------------------

STG_TICKETS = next(s for s in STAGING_SUITES if s.relation == "staging.stg_raw__tickets")


def _services(conn: duckdb.DuckDBPyConnection, *services: str) -> None:
    conn.execute("create schema if not exists reference")
    conn.execute("create or replace table reference.services (service varchar)")
    conn.executemany("insert into reference.services values (?)", [(s,) for s in services])


def _whole_view(conn: duckdb.DuckDBPyConnection, suite) -> list:
    """The reference: GX and the SQL uniqueness over every row of the view, as for any relation (units.py)."""
    from data_quality.frames import load_arrow
    from data_quality.gx_engine import to_check_result
    from data_quality.runner import load_reference_values
    from data_quality.units import Unit, _validate_unit

    references = load_reference_values(conn, [e.reference for e in suite.expectations if e.reference])
    outcomes = _validate_unit(conn, suite, suite.expectations, Unit("relation", ""), references,
                              load_arrow(conn, suite, every_column=True))  # fmt: skip
    return [to_check_result(suite, e, [outcomes[e.name]]) for e in suite.expectations]


def _sorted_answer(result) -> tuple:
    return (result.status, result.failing_row_count, result.observed_value, sorted(result.failing_keys_sample))


STAGING_LOADS = {
    1: [ticket("INC1"), ticket("INC2", service="crm"), ticket("INC3", service=None)],
    # INC2's service corrected; INC4 with an unknown service; INC5 new
    2: [ticket("INC2", service="erp"), ticket("INC4", service="fax"), ticket("INC5")],
    # INC1 re-exported with an unknown service, INC3 now has one
    3: [ticket("INC1", service="telex"), ticket("INC3")],
    4: [],  # a run with nothing new for tickets
}


def test_keyed_staging_suite_equals_a_whole_validation_after_every_load(conn):
    _services(conn, "email", "erp")
    notes = []
    for load_id, rows in STAGING_LOADS.items():
        insert_raw(conn, "tickets", rows, load_id=load_id)
        results = run_table_suite(conn, STG_TICKETS)
        assert [_sorted_answer(r) for r in results] == [_sorted_answer(r) for r in _whole_view(conn, STG_TICKETS)]
        notes.append(results[0].details.rsplit("; ", 1)[-1])
    service = by_name(results)["stg_tickets__service__in_services"]
    # latest rows: INC1 telex, INC2 erp, INC3 email, INC4 fax, INC5 email -> 2 of 5 judged rows unknown, none null
    assert (service.status, service.failing_row_count, service.observed_value) == (Status.FAILED, 2, 40.0)
    assert service.failing_keys_sample == ["INC1", "INC4"]  # in key order
    assert not service.blocks  # a warning
    assert notes == [
        "every row validated now (no per-key state yet)",
        "rows of 3 key(s) of loads after 1 validated now, the others by earlier runs",
        "rows of 2 key(s) of loads after 2 validated now, the others by earlier runs",
        "rows of 0 key(s) of loads after 3 validated now, the others by earlier runs",
    ]
    # only failing or unjudged keys are kept: INC1 and INC4 (unknown services)
    kept = conn.execute(f"select check_name, k, missing, unexpected from {SUITE_KEYS_TABLE} order by all")
    assert kept.fetchall() == [
        ("stg_tickets__service__in_services", "INC1", 0, 1),
        ("stg_tickets__service__in_services", "INC4", 0, 1),
    ]


def test_duplicate_key_split_across_two_loads_is_caught_by_the_keyed_staging_suite(conn):
    _services(conn, "email")
    # a staging model that forgot to keep only the latest row per key
    conn.execute("create or replace view staging.stg_raw__tickets as select * from raw.tickets")
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")], load_id=1)
    assert by_name(run_table_suite(conn, STG_TICKETS))["stg_tickets__key_unique"].status is Status.PASSED
    insert_raw(conn, "tickets", [ticket("INC1", state="resolved"), ticket("INC3")], load_id=2)
    results = run_table_suite(conn, STG_TICKETS)
    unique = by_name(results)["stg_tickets__key_unique"]
    # both rows of INC1 (one from each load) are unexpected: 2 of 4 rows -> 50 %
    assert _sorted_answer(unique) == (Status.FAILED, 2, 50.0, ["INC1"])
    assert unique.blocks
    assert unique.details.endswith("rows of 2 key(s) of loads after 1 validated now, the others by earlier runs")
    assert [_sorted_answer(r) for r in results] == [_sorted_answer(r) for r in _whole_view(conn, STG_TICKETS)]


def test_keyed_staging_suite_validates_everything_again_when_the_reference_changes(conn):
    _services(conn, "email")
    insert_raw(conn, "tickets", [ticket("INC1", service="crm")], load_id=1)
    assert by_name(run_table_suite(conn, STG_TICKETS))["stg_tickets__service__in_services"].status is Status.FAILED
    _services(conn, "email", "crm")  # the reference now knows crm: INC1, untouched by any load, passes
    service = by_name(run_table_suite(conn, STG_TICKETS))["stg_tickets__service__in_services"]
    assert (service.status, service.failing_row_count) == (Status.PASSED, 0)
    assert service.details.endswith("every row validated now (a rule, the reference or the view's definition changed)")
    full = by_name(run_table_suite(conn, STG_TICKETS, reuse=False))["stg_tickets__service__in_services"]
    assert full.details.endswith("every row validated now (full re-check asked)")


# --- raw loads -------------------------------------------------------------------------------------------------


def test_bad_row_in_a_later_load_is_caught_by_the_incremental_check(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")], load_id=1)
    first = by_name(run_table_suite(conn, TICKETS))
    assert first["raw_tickets__priority__in_set"].status is Status.PASSED
    insert_raw(conn, "tickets", [ticket("INC3", priority=9), ticket("INC4", state=None)], load_id=2)
    insert_raw(conn, "tickets", [ticket("INC5", resolved_at=None, closed_at=None, state="new")], load_id=3)
    incremental = run_table_suite(conn, TICKETS)
    results = by_name(incremental)
    priority, state = results["raw_tickets__priority__in_set"], results["raw_tickets__state__not_null"]
    # 1 bad priority in the 5 raw rows -> 20 %; the one missing state likewise
    assert (priority.status, priority.failing_row_count, priority.failing_keys_sample) == (Status.FAILED, 1, ["INC3|2"])
    assert (state.status, state.failing_keys_sample, state.observed_value) == (Status.FAILED, ["INC4|2"], 20.0)
    assert priority.blocks and state.blocks
    # loads 2 and 3 were validated now, together (one unit), load 1 not again
    assert "3 load(s) in raw.tickets: 2 validated now, 1 by earlier runs" in priority.details
    units = conn.execute(f"select distinct unit from {UNITS_TABLE} order by unit").fetchall()
    assert units == [("load 1",), ("loads 2,3",)]
    recheck = run_table_suite(conn, TICKETS, reuse=False)
    assert [_answer(r) for r in incremental] == [_answer(r) for r in recheck]


def test_merged_unit_of_loads_is_reused_while_its_loads_are_unchanged(conn):
    insert_raw(conn, "tickets", [ticket("INC1", priority=0)], load_id=1)
    insert_raw(conn, "tickets", [ticket("INC2", priority=8)], load_id=2)
    first = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    again = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    # priorities 0 and 8 are both outside 1-4: 2 of 2 judged rows -> 100 %; failing keys in load order across the
    # merged unit: INC1 (load 1), INC2 (load 2)
    assert _answer(first) == _answer(again) == (Status.FAILED, 2, 100.0, ["INC1|1", "INC2|2"])
    assert "2 load(s) in raw.tickets: 0 validated now, 2 by earlier runs" in again.details


# --- a failed or crashed step, a full refresh ----------------------------------------------------------------


def _raw_step(tmp_path: Path, groups: list[AssetChecks], rows: list[dict], load_id: int, full_refresh: bool = False):
    """One Dagster run: an ingest stand-in writing one load of tickets, then the project's raw check step; with
    `full_refresh` as `itsm run --full-refresh` configures the run's warehouse resource."""

    @multi_asset(specs=[AssetSpec(["raw", "tickets"])], name=f"ingest_{load_id}")
    def ingest(warehouse: WarehouseResource):
        conn = new_warehouse(warehouse.warehouse_path)
        try:
            if rows:
                insert_raw(conn, "tickets", rows, load_id=load_id)
                log_load(conn, load_id, len(rows), len(rows), 0)
        finally:
            conn.close()
        yield MaterializeResult(asset_key=["raw", "tickets"])

    (layer,) = build_checks(groups)
    warehouse = WarehouseResource(
        warehouse_path=str(tmp_path / "itsm.duckdb"),
        inbox_dir=str(tmp_path),
        output_dir=str(tmp_path),
        full_refresh=full_refresh,
    )
    return materialize([ingest, layer], resources={"warehouse": warehouse}, raise_on_error=False)


def _details(tmp_path: Path, run_id: str, check: str) -> str:
    with duckdb.connect(str(tmp_path / "itsm.duckdb"), read_only=True) as conn:
        return conn.execute(
            "select details from dq.check_results where run_id = ? and check_name = ?", [run_id, check]
        ).fetchall()[0][0]


def test_a_check_that_errors_in_a_step_is_its_own_error_and_the_others_outcomes_are_kept(tmp_path: Path):
    (tickets,) = [g for g in checks_by_asset() if g.asset_key == ("raw", "tickets")]
    # the same asset's checks plus one that raises (a filter column that does not exist)
    broken = LayerReconciliation(
        "raw_tickets__broken", "raw.tickets", "raw.tickets", "ticket_id", ("raw", "tickets"), Severity.WARNING,
        source_filter=("no_such_column", "x"),
    )  # fmt: skip
    failing_group = AssetChecks(
        asset_key=tickets.asset_key,
        table_suites=tickets.table_suites,
        reconciliations=(broken,),
    )
    failed = _raw_step(tmp_path, [failing_group], [ticket("INC1"), ticket("INC2", priority=9)], load_id=1)
    evaluations = {e.check_name: e for e in failed.get_asset_check_evaluations()}
    assert not failed.success  # INC2's priority 9 fails a blocking check
    assert evaluations["raw_tickets__broken"].metadata["status"].value == "error"
    assert evaluations["raw_tickets__priority__in_set"].metadata["status"].value == "failed"
    assert evaluations["raw_tickets__state__not_null"].metadata["status"].value == "passed"
    with duckdb.connect(str(tmp_path / "itsm.duckdb"), read_only=True) as conn:
        stored = conn.execute("select count(distinct unit) from dq.check_units").fetchall()
    assert stored == [(1,)]  # the rules that ran stored their outcome on load 1; the error stored nothing
    # the next run (nothing new loaded) reuses load 1's outcomes and still finds its bad row
    fixed = _raw_step(tmp_path, [tickets], [], load_id=2)
    priority = {e.check_name: e for e in fixed.get_asset_check_evaluations()}["raw_tickets__priority__in_set"]
    assert priority.metadata["failing_keys_sample"].value == '["INC2|1"]'
    details = _details(tmp_path, fixed.run_id, "raw_tickets__priority__in_set")
    assert "1 load(s) in raw.tickets: 0 validated now, 1 by earlier runs" in details


CRASH_AFTER_CHECKS = """
import os, sys
from datetime import UTC, datetime
import duckdb
from data_quality.check_state import PendingWrites
from data_quality.runner import checks_by_asset
conn = duckdb.connect(sys.argv[1])
conn.execute("SET TimeZone = 'UTC'")
pending = PendingWrites()
for group in checks_by_asset():
    if group.asset_key in (("raw", "tickets"), ("staging", "stg_raw__tickets"), ("marts", "fct_incident")):
        group.run(conn, datetime.now(UTC), pending=pending)
print(len(pending.unit_rows), len(pending.ledger_writes), flush=True)
os._exit(1)  # the process dies before the step's state is committed (as a killed worker would)
"""


def test_a_crashed_step_leaves_loads_and_keys_to_be_checked_again(tmp_path: Path):
    path = tmp_path / "itsm.duckdb"
    conn = new_warehouse(path)
    _layers(conn)
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")], load_id=1)
    _build_incidents(conn, 1)
    assert check_reconciliation(conn, TO_INCIDENTS).status is Status.PASSED  # ledger up to load 1
    run_table_suite(conn, TICKETS)  # load 1 validated and stored
    insert_raw(conn, "tickets", [ticket("INC3", priority=9)], load_id=2)
    _build_incidents(conn, 2)
    conn.close()
    crash = subprocess.run([sys.executable, "-c", CRASH_AFTER_CHECKS, str(path)], cwd=ROOT, capture_output=True)
    assert crash.returncode == 1
    queued_units, queued_ledgers = map(int, crash.stdout.split())
    # the checks ran and had something to store: raw outcomes; the staging suite's and two reconciliations' keys
    assert queued_units > 0 and queued_ledgers == 3
    conn = duckdb.connect(str(path))
    conn.execute("SET TimeZone = 'UTC'")
    assert conn.execute(f"select distinct unit from {UNITS_TABLE}").fetchall() == [("load 1",)]
    watermark = conn.execute(f"select watermark from {KEYED_STATE_TABLE} where check_name = ?", [TO_INCIDENTS.name])
    assert watermark.fetchall() == [(1,)]
    # the next run checks load 2 and its keys again
    priority = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    assert priority.failing_keys_sample == ["INC3|2"]
    assert "2 load(s) in raw.tickets: 1 validated now, 1 by earlier runs" in priority.details
    recon = check_reconciliation(conn, TO_INCIDENTS)
    assert recon.details.endswith("1 key(s) of loads after 1 compared now, the others kept from earlier runs")
    conn.close()


def test_full_refresh_checks_every_load_and_key_again(tmp_path: Path):
    (tickets,) = [g for g in checks_by_asset() if g.asset_key == ("raw", "tickets")]
    keyed = AssetChecks(asset_key=tickets.asset_key, table_suites=tickets.table_suites)
    first = _raw_step(tmp_path, [keyed], [ticket("INC1"), ticket("INC2", state=None)], load_id=1)
    second = _raw_step(tmp_path, [keyed], [ticket("INC3")], load_id=2)
    refreshed = _raw_step(tmp_path, [keyed], [], load_id=3, full_refresh=True)
    for run, note in (
        (first, "1 load(s) in raw.tickets: 1 validated now, 0 by earlier runs"),
        (second, "2 load(s) in raw.tickets: 1 validated now, 1 by earlier runs"),
        (refreshed, "2 load(s) in raw.tickets: 2 validated now, 0 by earlier runs"),  # everything again
    ):
        assert note in _details(tmp_path, run.run_id, "raw_tickets__state__not_null")
        state = {e.check_name: e for e in run.get_asset_check_evaluations()}["raw_tickets__state__not_null"]
        assert state.metadata["failing_keys_sample"].value == json.dumps(["INC2|1"])
        assert not run.success  # the blocking failure in load 1 blocks every run
