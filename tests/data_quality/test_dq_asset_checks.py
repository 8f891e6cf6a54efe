"""A real Dagster run: a blocking check failure on raw.tickets stops a downstream asset; warnings do not.

The raw asset here is a stand-in with the real asset key (["raw", "tickets"]) that writes hand-built rows into a
warehouse file; the checks are the project's own (data_quality.asset_checks) for that asset.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, asset, materialize
from dq_rows import insert_raw, log_load, new_warehouse, ticket

from data_quality.asset_checks import build_asset_check
from data_quality.runner import checks_by_asset
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
