"""The one Dagster entry point, loaded by `make ui` (`dg dev -w workspace.yaml`) and by the `dagster` CLI
(through pyproject.toml)."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from pipelines.assets import checks, extracts, ingestion, reports, transformation
from pipelines.automation import daily_refresh_schedule, refresh_job
from pipelines.resources import WarehouseResource
from pipelines.settings import Settings


def build_definitions(settings: Settings) -> Definitions:
    """Every asset, check, job, sensor and schedule, with the resources configured from `settings`."""
    return Definitions(
        assets=[*ingestion.ASSETS, *transformation.ASSETS, *reports.ASSETS, *extracts.ASSETS],
        asset_checks=[*checks.CHECKS],
        jobs=[refresh_job, *ingestion.JOBS, *reports.JOBS, *extracts.JOBS],
        sensors=[*ingestion.SENSORS, *reports.SENSORS, *extracts.SENSORS],
        schedules=[daily_refresh_schedule(settings)],
        resources={
            "warehouse": WarehouseResource.from_settings(settings),
            "dbt": transformation.dbt_resource(),
        },
        # One process: heavy imports (dbt, GX) are paid once per run, and DuckDB has a single writer.
        executor=in_process_executor,
    )


defs = build_definitions(Settings.from_env())
