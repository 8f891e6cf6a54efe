"""Checks after every new load give the answers of a full check: new raw loads validated once, staging and the
reconciliations whole, nothing missed.

Real DuckDB, real GX, real Dagster runs. Staging here is a DuckDB view with the staging models' rule (latest row
per key: highest load, then last row of the file, as macros/latest_row_per_key.sql) and the incident mart a table
the test rebuilds the way dbt's incremental models do (the touched tickets deleted and inserted again), correctly
or with a planted fault. The references are hand counts, GX over every row of a view, and a full re-validation
(`reuse=False`).
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

from data_quality.incremental import UNITS_TABLE
from data_quality.runner import AssetChecks, checks_by_asset, run_table_suite
from data_quality.specs import LayerReconciliation, Severity, Status
from data_quality.sql_checks import check_layers
from data_quality.suites import RAW_SUITES, RECONCILIATIONS, STAGING_SUITES
from pipelines.assets.checks import build_checks
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


def _answer(result) -> tuple:
    return (result.status, result.failing_row_count, result.observed_value, result.failing_keys_sample)


@pytest.fixture
def conn():
    connection = new_warehouse()
    _layers(connection)
    yield connection
    connection.close()


# --- reconciliations after every load -------------------------------------------------------------------------

LOADS = {
    1: [ticket("INC1"), ticket("INC2"), ticket("REQ1", ticket_type="request")],
    # a re-export of INC1 and a new incident
    2: [ticket("INC1", state="resolved"), ticket("INC3")],
    # a late correction: INC2 was a request all along (it leaves the incident mart); REQ1 becomes an incident
    3: [ticket("INC2", ticket_type="request"), ticket("REQ1")],
    # nothing about earlier tickets
    4: [ticket("INC4")],
}


def test_reconciliations_pass_after_every_correctly_built_load(conn):
    # distinct incidents in the mart after each load: INC1, INC2 | + INC3 | INC2 out, REQ1 in | + INC4
    expected = {1: 2.0, 2: 3.0, 3: 3.0, 4: 4.0}
    for load_id, rows in LOADS.items():
        insert_raw(conn, "tickets", rows, load_id=load_id)
        _build_incidents(conn, load_id)
        for spec in (RAW_TO_STAGING, TO_INCIDENTS):
            assert check_layers(conn, spec).status is Status.PASSED
        assert check_layers(conn, TO_INCIDENTS).observed_value == expected[load_id]
    assert conn.execute("select count(*) from marts.fct_incident").fetchone() == (4,)


def test_duplicate_key_split_across_two_loads_is_caught(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")], load_id=1)
    _build_incidents(conn, 1)
    assert check_layers(conn, TO_INCIDENTS).status is Status.PASSED
    insert_raw(conn, "tickets", [ticket("INC1", state="resolved")], load_id=2)  # a re-export of INC1
    # a faulty incremental build: the re-exported ticket appended without deleting its earlier row
    conn.execute("insert into marts.fct_incident values ('INC1')")
    result = check_layers(conn, TO_INCIDENTS)
    # staging incidents INC1, INC2; the mart holds INC1 twice and INC2: 2 distinct keys, 1 duplicated
    assert _answer(result) == (Status.FAILED, 1, 2.0, ["duplicated:INC1"])
    assert result.blocks


def test_a_fault_outside_the_keys_of_the_new_load_is_caught(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")], load_id=1)
    _build_incidents(conn, 1)
    assert check_layers(conn, TO_INCIDENTS).status is Status.PASSED
    insert_raw(conn, "tickets", [ticket("INC3")], load_id=2)
    _build_incidents(conn, 2)
    # a faulty build lost INC2, which the new load did not touch, and repeated INC1
    conn.execute("delete from marts.fct_incident where ticket_id = 'INC2'")
    conn.execute("insert into marts.fct_incident values ('INC1')")
    expected = (Status.FAILED, 2, 2.0, ["missing:INC2", "duplicated:INC1"])  # INC1 twice, INC3 once: 2 distinct
    assert _answer(check_layers(conn, TO_INCIDENTS)) == expected


# --- staging suites after every load ---------------------------------------------------------------------------

STG_TICKETS = next(s for s in STAGING_SUITES if s.relation == "staging.stg_raw__tickets")


def _services(conn: duckdb.DuckDBPyConnection, *services: str) -> None:
    conn.execute("create schema if not exists reference")
    conn.execute("create or replace table reference.services (service varchar)")
    conn.executemany("insert into reference.services values (?)", [(s,) for s in services])


def _by_gx(conn: duckdb.DuckDBPyConnection, suite) -> list:
    """The reference: GX over every row of the view (pandas' own uniqueness and set membership)."""
    from dataclasses import replace

    from data_quality.frames import load_frame
    from data_quality.gx_engine import validate_frame
    from data_quality.runner import load_reference_values

    as_gx = replace(suite, expectations=tuple(replace(e, engine="great_expectations") for e in suite.expectations))
    references = load_reference_values(conn, [e.reference for e in suite.expectations if e.reference])
    return validate_frame(as_gx, load_frame(conn, as_gx), references)


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


def test_staging_suite_equals_gx_over_every_row_after_every_load(conn):
    _services(conn, "email", "erp")
    for load_id, rows in STAGING_LOADS.items():
        insert_raw(conn, "tickets", rows, load_id=load_id)
        results = run_table_suite(conn, STG_TICKETS)
        assert [_sorted_answer(r) for r in results] == [_sorted_answer(r) for r in _by_gx(conn, STG_TICKETS)]
    service = by_name(results)["stg_tickets__service__in_services"]
    # latest rows: INC1 telex, INC2 erp, INC3 email, INC4 fax, INC5 email -> 2 of 5 judged rows unknown, none null
    assert (service.status, service.failing_row_count, service.observed_value) == (Status.FAILED, 2, 40.0)
    assert service.failing_keys_sample == ["INC1", "INC4"]  # in key order
    assert not service.blocks  # a warning


def test_duplicate_key_split_across_two_loads_is_caught_by_the_staging_suite(conn):
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
    assert [_sorted_answer(r) for r in results] == [_sorted_answer(r) for r in _by_gx(conn, STG_TICKETS)]


def test_staging_suite_follows_a_change_of_the_reference(conn):
    _services(conn, "email")
    insert_raw(conn, "tickets", [ticket("INC1", service="crm")], load_id=1)
    assert by_name(run_table_suite(conn, STG_TICKETS))["stg_tickets__service__in_services"].status is Status.FAILED
    _services(conn, "email", "crm")  # the reference now knows crm: INC1, untouched by any load, passes
    service = by_name(run_table_suite(conn, STG_TICKETS))["stg_tickets__service__in_services"]
    assert (service.status, service.failing_row_count) == (Status.PASSED, 0)


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
    # loads 2 and 3 were validated now, each on its own, load 1 not again
    assert "3 load(s) in raw.tickets: 2 validated now, 1 by earlier runs" in priority.details
    units = conn.execute(f"select distinct unit from {UNITS_TABLE} order by unit").fetchall()
    assert units == [("load 1",), ("load 2",), ("load 3",)]
    recheck = run_table_suite(conn, TICKETS, reuse=False)
    assert [_answer(r) for r in incremental] == [_answer(r) for r in recheck]


def test_outcomes_of_two_loads_are_reused_while_the_loads_are_unchanged(conn):
    insert_raw(conn, "tickets", [ticket("INC1", priority=0)], load_id=1)
    insert_raw(conn, "tickets", [ticket("INC2", priority=8)], load_id=2)
    first = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    again = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    # priorities 0 and 8 are both outside 1-4: 2 of 2 judged rows -> 100 %; failing keys in load order: INC1
    # (load 1), INC2 (load 2)
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
        checks=(broken,),
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
from data_quality.incremental import PendingOutcomes
from data_quality.runner import checks_by_asset
conn = duckdb.connect(sys.argv[1])
conn.execute("SET TimeZone = 'UTC'")
pending = PendingOutcomes()
for group in checks_by_asset():
    if group.asset_key in (("raw", "tickets"), ("staging", "stg_raw__tickets"), ("marts", "fct_incident")):
        group.run(conn, datetime.now(UTC), pending=pending)
print(len(pending.rows), flush=True)
os._exit(1)  # the process dies before the step's state is committed (as a killed worker would)
"""


def test_a_crashed_step_leaves_its_loads_to_be_checked_again(tmp_path: Path):
    path = tmp_path / "itsm.duckdb"
    conn = new_warehouse(path)
    _layers(conn)
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")], load_id=1)
    _build_incidents(conn, 1)
    run_table_suite(conn, TICKETS)  # load 1 validated and stored
    insert_raw(conn, "tickets", [ticket("INC3", priority=9)], load_id=2)
    _build_incidents(conn, 2)
    conn.close()
    crash = subprocess.run([sys.executable, "-c", CRASH_AFTER_CHECKS, str(path)], cwd=ROOT, capture_output=True)
    assert crash.returncode == 1
    # the checks ran and had load 2's outcomes to store
    assert int(crash.stdout) > 0
    conn = duckdb.connect(str(path))
    conn.execute("SET TimeZone = 'UTC'")
    assert conn.execute(f"select distinct unit from {UNITS_TABLE}").fetchall() == [("load 1",)]
    # the next run checks load 2 again
    priority = by_name(run_table_suite(conn, TICKETS))["raw_tickets__priority__in_set"]
    assert priority.failing_keys_sample == ["INC3|2"]
    assert "2 load(s) in raw.tickets: 1 validated now, 1 by earlier runs" in priority.details
    conn.close()


def test_full_refresh_checks_every_load_again(tmp_path: Path):
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
