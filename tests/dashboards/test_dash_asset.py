"""The Dagster report asset: a real in-process materialization against the hand-made warehouse."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, DagsterInstance, materialize
from small_warehouse import build_small_warehouse

from pipelines.assets.reports import READ_TABLES, itsm_report, report_dependencies
from pipelines.resources import WarehouseResource
from pipelines.settings import Settings


def test_report_asset_writes_into_reports_dir(tmp_path: Path):
    warehouse = build_small_warehouse(tmp_path / "itsm.duckdb")
    settings = Settings.from_env(warehouse_path=warehouse, output_dir=tmp_path / "build")
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [itsm_report], resources={"warehouse": WarehouseResource.from_settings(settings)}, instance=instance
        )
    assert result.success
    (event,) = result.asset_materializations_for_node("reports__itsm_report")
    path = Path(event.metadata["path"].value)
    assert path == settings.reports_dir / "itsm_report.html"
    assert path.exists() and event.metadata["sources_missing"].value == 0
    assert 'data-kpi="csat_mean" data-value="3.500000"' in path.read_text(encoding="utf-8")


def test_report_depends_on_the_dbt_assets_it_reads():
    deps = report_dependencies()
    assert {AssetKey(["reference", "kpi_targets"]), AssetKey(["reference", "services"])} <= set(deps)
    # every dependency is a table the report reads (no accidental upstream)
    assert all(key.path[-1] in READ_TABLES for key in deps)
