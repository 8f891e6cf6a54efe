"""Compliance extracts, period close and the analyst snapshot as Dagster assets.

- `audit_extract` (group "extracts", job `audit_extract_job`): one extract per materialization, configured with
  the same fields as `itsm extract`. Each materialization writes a new folder (named with the run id unless
  `out_dir` is given), so earlier evidence is never overwritten.
- `audit_period_close` (group "extracts", job `audit_close_period_job`): `itsm close-period` as an asset.
- `analyst_snapshot` (group "analyst_access", part of the refresh job): after the dbt marts are built (and their
  blocking checks passed), publish the read-only copy `itsm sql` opens.
"""

from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    define_asset_job,
)
from pydantic import Field

from pipelines.assets.transformation import itsm_dbt_models
from pipelines.resources import WarehouseResource


class ExtractConfig(Config):
    kind: str = Field(description="sla-breaches | changes | availability | data-quality | lineage")
    date_from: str = Field(description="first day, YYYY-MM-DD (inclusive)")
    date_to: str = Field(description="last day, YYYY-MM-DD (inclusive)")
    service: str | None = Field(default=None, description="only this service")
    out_dir: str | None = Field(default=None, description="folder to write; default under ITSM_OUTPUT_DIR/extracts")
    include_comments: bool = False
    pseudonymize: bool = True


class ClosePeriodConfig(Config):
    period: str = Field(description="month to close, YYYY-MM")
    force: bool = False


@asset(
    key=AssetKey(["extracts", "audit_extract"]),
    group_name="extracts",
    deps=list(itsm_dbt_models.keys),
    description="A checksummed compliance extract (CSV + Parquet + manifest.json); see `itsm extract --help`.",
    kinds={"csv", "parquet"},
)
def audit_extract(context: AssetExecutionContext, config: ExtractConfig, warehouse: WarehouseResource):
    from pipelines.extracts.request import ExtractError, ExtractRequest, parse_date
    from pipelines.extracts.runner import run_extract

    settings = warehouse.settings
    label = f"{config.kind}_{config.date_from}_{config.date_to}" + (f"_{config.service}" if config.service else "")
    out_dir = Path(config.out_dir) if config.out_dir else settings.extracts_dir / f"{label}_{context.run_id[:8]}"
    try:
        request = ExtractRequest(
            kind=config.kind,
            date_from=parse_date(config.date_from),
            date_to=parse_date(config.date_to),
            service=config.service,
            pseudonymize=config.pseudonymize,
            include_comments=config.include_comments,
        )
        result = run_extract(
            request,
            out_dir,
            settings.warehouse_path,
            settings.pseudonym_key,
            dagster_run_id=context.run_id,
            inbox=settings.inbox_dir,
        )
    except ExtractError as err:
        raise Failure(description=str(err)) from err
    return MaterializeResult(
        metadata={
            "out_dir": MetadataValue.path(str(result.out_dir)),
            "manifest_sha256": MetadataValue.text(result.manifest_sha256),
            **{f"rows_{name}": MetadataValue.int(rows) for name, rows in result.rows.items()},
        }
    )


@asset(
    key=AssetKey(["audit", "kpi_snapshots"]),
    group_name="extracts",
    # Only what it reads: marts.kpi_restatements reads this table, so depending on every dbt model would loop.
    deps=[key for key in itsm_dbt_models.keys if key.path[-1] == "kpi_monthly_long"],
    description="Append a month's KPIs as reported to audit.kpi_snapshots; see `itsm close-period --help`.",
    kinds={"duckdb"},
)
def audit_period_close(context: AssetExecutionContext, config: ClosePeriodConfig, warehouse: WarehouseResource):
    from pipelines.extracts.period_close import close_period
    from pipelines.extracts.request import ExtractError

    settings = warehouse.settings
    try:
        result = close_period(
            config.period, settings.warehouse_path, settings.extracts_dir, config.force, dagster_run_id=context.run_id
        )
    except ExtractError as err:
        raise Failure(description=str(err)) from err
    return MaterializeResult(
        metadata={
            "period": MetadataValue.text(result.period),
            "snapshot_id": MetadataValue.int(result.snapshot_id),
            "kpi_values": MetadataValue.int(result.rows),
            "forced": MetadataValue.bool(result.forced),
            "evidence": MetadataValue.path(str(result.extract.out_dir)),
            "manifest_sha256": MetadataValue.text(result.extract.manifest_sha256),
        }
    )


@asset(
    key=AssetKey(["analyst", "warehouse_snapshot"]),
    group_name="analyst_access",
    deps=list(itsm_dbt_models.keys),
    description="Read-only copy of the warehouse for analysts (`itsm sql`), published atomically after each run.",
    kinds={"duckdb"},
)
def analyst_snapshot(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    from pipelines.extracts.analyst import publish_snapshot

    path = publish_snapshot(warehouse.settings.warehouse_path)
    context.log.info(f"analyst snapshot published at {path}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(path)),
            "size_mb": MetadataValue.float(round(path.stat().st_size / 1e6, 2)),
        }
    )


audit_extract_job = define_asset_job(
    "audit_extract_job",
    selection=AssetSelection.assets(audit_extract),
    description="Write one compliance extract (configure kind, dates, service).",
)
audit_close_period_job = define_asset_job(
    "audit_close_period_job",
    selection=AssetSelection.assets(audit_period_close),
    description="Close a month: freeze its KPIs as reported in audit.kpi_snapshots.",
)

ASSETS = [audit_extract, audit_period_close, analyst_snapshot]
SENSORS: list = []
JOBS = [audit_extract_job, audit_close_period_job]
