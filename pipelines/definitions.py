"""The one Dagster entry point: `dagster dev` and `dagster asset materialize` find `defs` through pyproject.toml."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from data_quality import asset_checks
from pipelines.assets import extracts, ingestion, reports, transformation
from pipelines.resources import WarehouseResource
from pipelines.settings import Settings

settings = Settings.from_env()

# Everything, in dependency order: ingest -> dbt (+ tests as checks) -> data-quality checks -> reports.
refresh_job = define_asset_job(
    "itsm_refresh",
    selection=AssetSelection.all() - AssetSelection.groups("extracts"),
    description="Ingest new exports, build every dbt model, run all checks and write the dashboards.",
)

defs = Definitions(
    assets=[*ingestion.ASSETS, *transformation.ASSETS, *reports.ASSETS, *extracts.ASSETS],
    asset_checks=[*asset_checks.CHECKS],
    jobs=[refresh_job, *ingestion.JOBS, *reports.JOBS, *extracts.JOBS],
    sensors=[*ingestion.SENSORS, *reports.SENSORS, *extracts.SENSORS],
    resources={
        "warehouse": WarehouseResource.from_settings(settings),
        "dbt": transformation.dbt_resource(),
    },
    # One process: heavy imports (dbt, GX) are paid once per run, and DuckDB has a single writer.
    executor=in_process_executor,
)
