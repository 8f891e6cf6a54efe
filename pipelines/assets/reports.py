"""The static dashboard report as a Dagster asset, downstream of the dbt marts it reads.

Its dependencies are the dbt assets of the marts and reference tables listed in `dashboards/queries.py`, looked up
in the dbt manifest, so a blocking check on any of those marts stops the report from being rewritten with numbers
that failed a check (the previous report stays in place).
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dashboards.queries import MART_TABLES, REFERENCE_TABLES
from pipelines.assets.transformation import itsm_dbt_models
from pipelines.resources import WarehouseResource

READ_TABLES = {*MART_TABLES, *REFERENCE_TABLES}


def report_dependencies() -> list[AssetKey]:
    """dbt asset keys (schema/model) of every table the report reads that the current manifest defines."""
    return sorted((key for key in itsm_dbt_models.keys if key.path[-1] in READ_TABLES), key=lambda k: k.path)


@asset(
    key=AssetKey(["reports", "itsm_report"]),
    group_name="reports",
    deps=report_dependencies(),
    description="Self-contained offline HTML report (plotly.js embedded) of every KPI section; `itsm report`.",
    kinds={"html", "plotly"},
)
def itsm_report(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    from dashboards.report import write_report

    settings = warehouse.settings
    result = write_report(settings.warehouse_path, settings.reports_dir)
    for problem in result.problems:
        context.log.warning(f"report section without data: {problem}")
    context.log.info(f"report written to {result.path}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(result.path)),
            "size_mb": MetadataValue.float(round(result.size_bytes / 1e6, 2)),
            "seconds": MetadataValue.float(round(result.seconds, 2)),
            "sources_missing": MetadataValue.int(len(result.problems)),
        }
    )


ASSETS = [itsm_report]
SENSORS: list = []
JOBS: list = []
