"""Dagster asset checks wrapping the data-quality suites: one multi-asset check per layer.

All checks on raw tables run in one Dagster step after ingestion, all checks on dbt models (staging, marts) in one
step after the dbt build: every check is still its own AssetCheckSpec on the asset it guards (shown there in the
asset graph, blocking there), but the step's fixed cost (step events, resources, a warehouse connection) is paid
twice per run instead of once per asset.

Each check spec carries the severity from the suite definitions: blocking specs are `blocking=True` and fail with
severity ERROR, so downstream assets in the same run (dbt models after raw, dashboards and extracts after the
marts) do not materialize; warnings fail with severity WARN and the run goes on. Every evaluation is also
appended to dq.check_results with the Dagster run id. dbt tests reach Dagster separately, as asset checks made
by dagster-dbt (pipelines/assets/transformation.py, enable_asset_checks=True).
"""

import json
import os
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
from data_quality.incremental import PendingOutcomes
from data_quality.results import write_results
from data_quality.run_steps import record_step
from data_quality.runner import AssetChecks, checks_by_asset, run_step
from data_quality.specs import CheckResult, Severity, Status
from pipelines.resources import WarehouseResource
from pipelines.settings import DBT_PROJECT_DIR

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


def _specs(group: AssetChecks) -> list[AssetCheckSpec]:
    asset_key = AssetKey(list(group.asset_key))
    return [
        AssetCheckSpec(name=name, asset=asset_key, blocking=severity is Severity.BLOCKING, description=description)
        for name, severity, description in group.check_specs
    ]


def build_layer_check(groups: Sequence[AssetChecks], name: str, description: str) -> AssetChecksDefinition:
    """One multi-asset check (one step) running the checks of several assets, each result on its own asset."""
    groups = list(groups)

    @multi_asset_check(specs=[spec for group in groups for spec in _specs(group)], name=name, description=description)
    def _dq_check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
        checked_at = datetime.now(UTC)
        # A full refresh (ITSM_FULL_REFRESH=1, `itsm run --full-refresh`) validates every raw load again;
        # otherwise only the loads not validated before (data_quality/incremental/).
        reuse = not warehouse.settings.full_refresh
        with warehouse.connect() as conn:
            pending = PendingOutcomes()
            evaluated = list(zip(groups, run_step(conn, groups, checked_at, reuse, pending), strict=True))
            write_results(conn, context.run.run_id, [r for _, results in evaluated for r in results], checked_at)
            if any(group.asset_key[0] in DBT_SCHEMAS for group in groups):
                # These checks ran after the dbt build: put its dbt tests in the same history, under this run.
                target_root = DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")  # as the dbt asset
                record_dbt_tests_of_run(conn, context.run.run_id, target_root)
            # The publishing gate's proof that this step finished (run_steps.py): a run killed before it has none.
            record_step(conn, context.run.run_id, name, sum(len(results) for _, results in evaluated))
            # Only now, with every check of the step evaluated and recorded: a step that dies before this line
            # leaves the loads it validated to be validated again by the next run.
            pending.commit(conn)
        for group, results in evaluated:
            for result in results:
                yield to_dagster(result, AssetKey(list(group.asset_key)))

    return _dq_check


def build_asset_check(group: AssetChecks) -> AssetChecksDefinition:
    """The checks of one asset as their own multi-asset check."""
    asset = AssetKey(list(group.asset_key)).to_user_string()
    return build_layer_check(
        [group], f"dq_{'__'.join(group.asset_key)}", f"Data-quality suite on {asset} (data_quality/suites.py)"
    )


def build_checks(groups: Sequence[AssetChecks] | None = None) -> list[AssetChecksDefinition]:
    """One check step for the raw tables (after ingestion) and one for the dbt models (after the dbt build)."""
    groups = list(groups if groups is not None else checks_by_asset())
    raw = [g for g in groups if g.asset_key[0] not in DBT_SCHEMAS]
    dbt = [g for g in groups if g.asset_key[0] in DBT_SCHEMAS]
    layers = [
        ("dq_raw_tables", raw, "Data-quality suites on the raw tables (data_quality/suites.py)"),
        (
            "dq_staging_and_marts",
            dbt,
            "Data-quality suites and reconciliations on staging and marts (data_quality/suites.py)",
        ),
    ]
    return [build_layer_check(members, name, text) for name, members, text in layers if members]


CHECKS: list[AssetChecksDefinition] = build_checks()
