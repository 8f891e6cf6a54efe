"""The extract and period-close assets run in a real (in-process) Dagster materialization."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from audit_cli import KEY

from pipelines.extracts.verify import verify_extract


@pytest.fixture
def dagster_env(hand_warehouse: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ITSM_PSEUDONYM_KEY", KEY)
    from pipelines.resources import WarehouseResource
    from pipelines.settings import Settings

    settings = Settings.from_env(warehouse_path=hand_warehouse, output_dir=hand_warehouse.parent / "build")
    return {"warehouse": WarehouseResource.from_settings(settings)}


def test_extract_asset_writes_a_verified_extract(dagster_env, hand_warehouse: Path):
    from dagster import materialize

    from pipelines.assets.extracts import audit_extract

    config = {"kind": "changes", "date_from": "2026-10-01", "date_to": "2026-10-31"}
    result = materialize(
        [audit_extract],
        resources=dagster_env,
        run_config={"ops": {"extracts__audit_extract": {"config": config}}},
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("extracts__audit_extract")
    out = Path(materialization.metadata["out_dir"].value)
    # default folder: <output>/extracts/<kind>_<from>_<to>_<run id prefix>
    assert out.parent == hand_warehouse.parent / "build" / "extracts"
    assert out.name == f"changes_2026-10-01_2026-10-31_{result.run_id[:8]}"
    assert materialization.metadata["rows_changes"].value == 2  # C1 and C2, as in test_extract_kinds
    report = verify_extract(out, materialization.metadata["manifest_sha256"].value)
    assert report.ok
    manifest = (out / "manifest.json").read_text()
    assert result.run_id in manifest  # the Dagster run id is recorded


def test_extract_asset_fails_with_the_refusal_message(dagster_env):
    from dagster import materialize

    from pipelines.assets.extracts import audit_extract

    config = {"kind": "changes", "date_from": "2026-10-31", "date_to": "2026-10-01"}
    result = materialize(
        [audit_extract],
        resources=dagster_env,
        run_config={"ops": {"extracts__audit_extract": {"config": config}}},
        raise_on_error=False,
    )
    assert not result.success
    failure = result.failure_data_for_node("extracts__audit_extract")
    assert "inverted date range" in str(failure.error)


def test_period_close_asset(dagster_env, hand_warehouse: Path):
    from dagster import materialize

    from pipelines.assets.extracts import audit_period_close

    with duckdb.connect(str(hand_warehouse)) as conn:
        # A one-KPI stand-in for the dbt model (the real one is covered in test_period_close.py).
        conn.execute(
            """create table marts.kpi_monthly_long as select date '2026-10-01' as period_month,
               'kpi_change_monthly' as source_mart, 'service=erp' as dimension_key,
               'change_success_pct' as kpi, 50.0::double as kpi_value"""
        )
    run_config = {"ops": {"audit__kpi_snapshots": {"config": {"period": "2026-10"}}}}
    first = materialize([audit_period_close], resources=dagster_env, run_config=run_config)
    assert first.success
    second = materialize([audit_period_close], resources=dagster_env, run_config=run_config, raise_on_error=False)
    assert not second.success
    assert "already closed" in str(second.failure_data_for_node("audit__kpi_snapshots").error)
    with duckdb.connect(str(hand_warehouse), read_only=True) as conn:
        assert conn.execute("select snapshot_id, kpi, kpi_value from audit.kpi_snapshots").fetchall() == [
            (1, "change_success_pct", 50.0)
        ]


def test_definitions_wire_the_audit_assets():
    from dagster import AssetKey

    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    snapshots = AssetKey(["audit", "kpi_snapshots"])
    # the close reads kpi_monthly_long; kpi_restatements reads what the close writes (no cycle)
    assert graph.get(snapshots).parent_keys == {AssetKey(["marts", "kpi_monthly_long"])}
    assert snapshots in graph.get(AssetKey(["marts", "kpi_restatements"])).parent_keys
    refresh = set(defs.resolve_job_def("itsm_refresh").asset_layer.selected_asset_keys)
    # every run publishes the analyst snapshot; extracts and closes only run when asked for
    assert AssetKey(["analyst", "warehouse_snapshot"]) in refresh
    assert AssetKey(["extracts", "audit_extract"]) not in refresh and snapshots not in refresh
    assert {"audit_extract_job", "audit_close_period_job"} <= {job.name for job in defs.resolve_all_job_defs()}
