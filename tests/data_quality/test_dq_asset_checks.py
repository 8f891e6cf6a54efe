"""A real Dagster run: a blocking check failure on raw.tickets stops a downstream asset; warnings do not.

The raw asset here is a stand-in with the real asset key (["raw", "tickets"]) that writes hand-built rows into a
warehouse file; the checks are the project's own (pipelines.assets.checks) for that asset.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, AssetSpec, MaterializeResult, asset, materialize, multi_asset
from dq_rows import insert_raw, log_load, new_warehouse, ticket, ts

from data_quality.runner import AssetChecks, checks_by_asset
from data_quality.specs import LayerReconciliation, Severity
from pipelines.assets.checks import build_asset_check, build_checks
from pipelines.resources import WarehouseResource

RAW_TICKETS = ("raw", "tickets")


def _pipeline(rows: list[dict]):
    @asset(key=AssetKey(list(RAW_TICKETS)))
    def raw_tickets(warehouse: WarehouseResource) -> None:
        conn = new_warehouse(warehouse.warehouse_path)
        try:
            insert_raw(conn, "tickets", rows, load_id=1)
            log_load(conn, 1, len(rows), len(rows), 0)
        finally:
            conn.close()

    @asset(deps=[AssetKey(list(RAW_TICKETS))])
    def incident_dashboard() -> str:
        return "published"

    (group,) = [g for g in checks_by_asset() if g.asset_key == RAW_TICKETS]
    return [raw_tickets, incident_dashboard], build_asset_check(group)


def _run(tmp_path: Path, rows: list[dict]):
    assets, check = _pipeline(rows)
    warehouse = WarehouseResource(
        warehouse_path=str(tmp_path / "itsm.duckdb"), inbox_dir=str(tmp_path), output_dir=str(tmp_path)
    )
    return materialize([*assets, check], resources={"warehouse": warehouse}, raise_on_error=False)


def _evaluations(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _materialized(result) -> set[str]:
    return {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}


@pytest.fixture(scope="module")
def blocked(tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("blocked")
    result = _run(tmp_path, [ticket("INC1"), ticket("INC2", priority=9), ticket("INC3", state=None)])
    return tmp_path, result


def test_blocking_failure_stops_the_downstream_asset(blocked):
    _, result = blocked
    evaluations = _evaluations(result)
    assert not result.success
    assert not evaluations["raw_tickets__priority__in_set"].passed
    assert not evaluations["raw_tickets__state__not_null"].passed
    assert _materialized(result) == {"raw/tickets"}  # incident_dashboard never ran


def test_failed_check_metadata_shows_count_and_keys(blocked):
    _, result = blocked
    evaluation = _evaluations(result)["raw_tickets__priority__in_set"]
    assert evaluation.severity.value == "ERROR"
    assert evaluation.metadata["failing_row_count"].value == 1
    assert evaluation.metadata["failing_keys_sample"].value == '["INC2|1"]'


def test_results_land_in_dq_check_results_with_the_run_id(blocked):
    tmp_path, result = blocked
    with duckdb.connect(str(tmp_path / "itsm.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            """select check_name, severity, passed, failing_row_count, failing_keys_sample
               from dq.check_results where run_id = ? order by check_name""",
            [result.run_id],
        ).fetchall()
    by_check = {r[0]: r[1:] for r in rows}
    assert len(rows) == len(_evaluations(result))  # every evaluation recorded once
    assert by_check["raw_tickets__priority__in_set"] == ("blocking", False, 1, '["INC2|1"]')
    assert by_check["raw_tickets__state__not_null"] == ("blocking", False, 1, '["INC3|1"]')
    assert by_check["raw_tickets__opened_at_before_resolved_at"][:2] == ("blocking", True)


def test_warning_failure_lets_downstream_run(tmp_path: Path):
    # INC1 twice in one load: only the warning-level per-load uniqueness check fails
    result = _run(tmp_path, [ticket("INC1"), ticket("INC1"), ticket("INC2")])
    evaluations = _evaluations(result)
    assert not evaluations["raw_tickets__key_unique_per_load"].passed
    assert evaluations["raw_tickets__key_unique_per_load"].severity.value == "WARN"
    assert result.success
    assert _materialized(result) == {"raw/tickets", "incident_dashboard"}


def test_one_step_checks_every_raw_table_and_blocks_what_follows(tmp_path: Path):
    # The project's layout (build_checks): the checks of all raw tables in one Dagster step after ingestion.
    # Like the ingest multi-asset: one step writes every raw table.
    @multi_asset(specs=[AssetSpec(["raw", "tickets"]), AssetSpec(["raw", "surveys"])])
    def ingest(warehouse: WarehouseResource):
        conn = new_warehouse(warehouse.warehouse_path)
        try:
            insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", priority=9)], load_id=1)
            insert_raw(conn, "surveys", [{"survey_id": "S1", "sent_at": ts("2025-01-06 12:00"), "csat_score": 5}])
        finally:
            conn.close()
        yield MaterializeResult(asset_key=["raw", "tickets"])
        yield MaterializeResult(asset_key=["raw", "surveys"])

    @asset(deps=[AssetKey(["raw", "surveys"])])
    def survey_dashboard() -> str:
        return "published"

    groups = [g for g in checks_by_asset() if g.asset_key in (RAW_TICKETS, ("raw", "surveys"))]
    (raw_layer,) = build_checks(groups)
    warehouse = WarehouseResource(
        warehouse_path=str(tmp_path / "itsm.duckdb"), inbox_dir=str(tmp_path), output_dir=str(tmp_path)
    )
    result = materialize(
        [ingest, survey_dashboard, raw_layer],
        resources={"warehouse": warehouse},
        raise_on_error=False,
    )
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert raw_layer.node_def.name == "dq_raw_tables"
    assert not evaluations[("raw/tickets", "raw_tickets__priority__in_set")].passed
    assert evaluations[("raw/surveys", "raw_surveys__csat_score__in_range")].passed
    # the blocking failure on raw/tickets fails the one check step, so nothing after it runs
    assert _materialized(result) == {"raw/tickets", "raw/surveys"}
    with duckdb.connect(str(tmp_path / "itsm.duckdb"), read_only=True) as conn:
        recorded = conn.execute(
            "select count(distinct asset), count(*) from dq.check_results where run_id = ?", [result.run_id]
        ).fetchone()
    # one row per evaluation, on raw.tickets, raw.surveys, raw.load_log and raw.quarantine
    assert recorded == (4, len(evaluations))


def test_bad_row_of_an_earlier_load_still_blocks_a_run_that_brings_only_a_clean_load(tmp_path: Path):
    warehouse = WarehouseResource(
        warehouse_path=str(tmp_path / "itsm.duckdb"), inbox_dir=str(tmp_path), output_dir=str(tmp_path)
    )
    (group,) = [g for g in checks_by_asset() if g.asset_key == RAW_TICKETS]

    def run(rows: list[dict], load_id: int):
        @asset(key=AssetKey(list(RAW_TICKETS)))
        def raw_tickets(warehouse: WarehouseResource) -> None:
            conn = new_warehouse(warehouse.warehouse_path)
            try:
                insert_raw(conn, "tickets", rows, load_id=load_id)
                log_load(conn, load_id, len(rows), len(rows), 0)
            finally:
                conn.close()

        @asset(deps=[AssetKey(list(RAW_TICKETS))])
        def incident_dashboard() -> str:
            return "published"

        assets = [raw_tickets, incident_dashboard, build_asset_check(group)]
        return materialize(assets, resources={"warehouse": warehouse}, raise_on_error=False)

    first = run([ticket("INC1"), ticket("INC2", priority=9)], load_id=1)
    second = run([ticket("INC3")], load_id=2)  # a clean load; load 1 is not validated again
    for result in (first, second):
        evaluation = _evaluations(result)["raw_tickets__priority__in_set"]
        assert not result.success and not evaluation.passed
        assert evaluation.metadata["failing_row_count"].value == 1
        assert evaluation.metadata["failing_keys_sample"].value == '["INC2|1"]'
        assert _materialized(result) == {"raw/tickets"}  # the dashboard is held back both times
    with duckdb.connect(str(tmp_path / "itsm.duckdb"), read_only=True) as conn:
        (details,) = conn.execute(
            "select details from dq.check_results where run_id = ? and check_name = 'raw_tickets__priority__in_set'",
            [second.run_id],
        ).fetchone()
    assert "1 of 3 rows unexpected" in details
    assert "2 load(s) in raw.tickets: 1 validated now, 1 by earlier runs" in details


def test_a_check_that_raises_is_an_error_and_the_others_in_its_step_still_run(tmp_path: Path):
    @multi_asset(specs=[AssetSpec(["raw", "tickets"]), AssetSpec(["raw", "surveys"])])
    def ingest(warehouse: WarehouseResource):
        conn = new_warehouse(warehouse.warehouse_path)
        try:
            insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", priority=9)])
        finally:
            conn.close()
        yield MaterializeResult(asset_key=["raw", "tickets"])
        yield MaterializeResult(asset_key=["raw", "surveys"])

    (tickets,) = [g for g in checks_by_asset() if g.asset_key == RAW_TICKETS]
    # a reconciliation whose filter column does not exist: DuckDB raises a binder error inside the check
    broken = LayerReconciliation(
        "raw_surveys__broken",
        "raw.surveys",
        "raw.tickets",
        "ticket_id",
        ("raw", "surveys"),
        Severity.WARNING,
        source_filter=("no_such_column", "x"),
    )
    (layer,) = build_checks([tickets, AssetChecks(asset_key=("raw", "surveys"), checks=(broken,))])
    warehouse = WarehouseResource(
        warehouse_path=str(tmp_path / "itsm.duckdb"), inbox_dir=str(tmp_path), output_dir=str(tmp_path)
    )
    result = materialize([ingest, layer], resources={"warehouse": warehouse}, raise_on_error=False)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["raw_surveys__broken"].passed
    assert evaluations["raw_surveys__broken"].metadata["status"].value == "error"
    assert evaluations["raw_tickets__priority__in_set"].metadata["failing_keys_sample"].value == '["INC2|1"]'
    with duckdb.connect(str(tmp_path / "itsm.duckdb"), read_only=True) as conn:
        (status, details) = conn.execute(
            "select status, details from dq.check_results where check_name = 'raw_surveys__broken'"
        ).fetchone()
    assert status == "error" and "BinderException" in details
