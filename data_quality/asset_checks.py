"""Dagster asset checks wrapping the data-quality suites: one multi-asset check per guarded asset.

Each check spec carries the severity from the suite definitions: blocking specs are `blocking=True` and fail with
severity ERROR, so downstream assets in the same run (dbt models after raw, dashboards and extracts after the
marts) do not materialize; warnings fail with severity WARN and the run goes on. Every evaluation is also
appended to dq.check_results with the Dagster run id. dbt tests reach Dagster separately, as asset checks made
by dagster-dbt (pipelines/assets/transformation.py, enable_asset_checks=True).
"""

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from data_quality.dbt_results import record_dbt_tests_of_run
from data_quality.results import write_results
from data_quality.runner import AssetChecks, checks_by_asset
from data_quality.specs import CheckResult, Severity, Status
from pipelines.resources import WarehouseResource

# Asset-key prefixes of dbt models (dagster-dbt keys a model by [schema, name]).
DBT_SCHEMAS = ("staging", "intermediate", "marts")


def to_dagster(result: CheckResult, asset_key: AssetKey) -> AssetCheckResult:
    """A failed or errored check fails with its severity; a not-applicable one is shown as a WARN failure
    ("not verified"), so nothing unverified ever looks green."""
    severity = AssetCheckSeverity.ERROR if result.severity is Severity.BLOCKING else AssetCheckSeverity.WARN
    if result.status is Status.NOT_APPLICABLE:
        severity = AssetCheckSeverity.WARN
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=result.check_name,
        passed=result.status is Status.PASSED,
        severity=severity,
        description=result.details or None,
        metadata={
            "status": str(result.status),
            "dq_severity": str(result.severity),
            "relation": result.asset,
            "failing_row_count": MetadataValue.int(result.failing_row_count or 0),
            "observed_value": MetadataValue.float(result.observed_value)
            if result.observed_value is not None
            else MetadataValue.text("n/a"),
            "failing_keys_sample": MetadataValue.text(json.dumps(result.failing_keys_sample)),
            "engine": result.engine,
        },
    )


def build_asset_check(group: AssetChecks) -> AssetChecksDefinition:
    asset_key = AssetKey(list(group.asset_key))
    specs = [
        AssetCheckSpec(name=name, asset=asset_key, blocking=severity is Severity.BLOCKING, description=description)
        for name, severity, description in group.check_specs
    ]

    @multi_asset_check(
        specs=specs,
        name=f"dq_{'__'.join(group.asset_key)}",
        description=f"Data-quality suite on {asset_key.to_user_string()} (data_quality/suites.py)",
    )
    def _dq_check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
        checked_at = datetime.now(UTC)
        with warehouse.connect() as conn:
            results = group.run(conn, as_of=checked_at)
            write_results(conn, context.run.run_id, results, checked_at=checked_at)
            if group.asset_key[0] in DBT_SCHEMAS:
                # This check ran after the dbt build: put its dbt tests in the same history, under this run.
                record_dbt_tests_of_run(conn, context.run.run_id)
        for result in results:
            yield to_dagster(result, asset_key)

    return _dq_check


def build_checks(groups: Sequence[AssetChecks] | None = None) -> list[AssetChecksDefinition]:
    return [build_asset_check(group) for group in (groups if groups is not None else checks_by_asset())]


CHECKS: list[AssetChecksDefinition] = build_checks()
