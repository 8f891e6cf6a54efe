"""Great Expectations (1.x) as the row-level engine, through its pandas route.

Why pandas and not GX's SQL datasource: on DuckDB the SQL route connects but every expectation fails
(MetricResolutionError, the connection is released before the fetch; see shared STACK_NOTES). So each suite
pulls only the columns it needs from DuckDB into pandas and validates that frame. The canary test
(tests/data_quality/test_gx_canary.py) fails if an upgrade turns these validations into passes or errors.

great_expectations takes ~6 s to import: it is imported inside `gx_context()` only, never at module load.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from typing import Any

import pandas as pd

from data_quality.specs import CheckResult, RowExpectation, Status, TableSuite

SAMPLE_SIZE = 10


@lru_cache(maxsize=1)
def gx_context() -> Any:
    """One ephemeral (in-memory) GX context per process: no files written, no analytics, no progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@lru_cache(maxsize=1)
def _batch_definition() -> Any:
    source = gx_context().data_sources.add_pandas("itsm_frames")
    return source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole_frame")


def build_expectation(exp: RowExpectation, reference_values: dict[str, list[object]]) -> Any:
    """Translate one RowExpectation into the GX expectation object that validates it."""
    import great_expectations.expectations as gxe

    meta = {"check_name": exp.name}
    if exp.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=exp.columns[0], meta=meta)
    if exp.kind == "unique":
        if len(exp.columns) == 1:
            return gxe.ExpectColumnValuesToBeUnique(column=exp.columns[0], meta=meta)
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(exp.columns), meta=meta)
    if exp.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(column=exp.columns[0], value_set=list(exp.value_set or ()), meta=meta)
    if exp.kind == "in_reference":
        values = reference_values[exp.reference or ""]
        return gxe.ExpectColumnValuesToBeInSet(column=exp.columns[0], value_set=values, meta=meta)
    if exp.kind == "between":
        return gxe.ExpectColumnValuesToBeBetween(
            column=exp.columns[0], min_value=exp.min_value, max_value=exp.max_value, meta=meta
        )
    if exp.kind == "ordered":
        earlier, later = exp.columns
        # later > earlier (or >= unless strict); rows missing either timestamp are not judged here.
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=later,
            column_B=earlier,
            or_equal=not exp.strict,
            ignore_row_if="either_value_is_missing",
            meta=meta,
        )
    raise ValueError(f"unknown expectation kind {exp.kind!r} in {exp.name}")


def _format_key(row: dict[str, Any], key_columns: tuple[str, ...]) -> str:
    parts = []
    for col in key_columns:
        value = row.get(col)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = "<null>"
        elif hasattr(value, "item"):
            value = value.item()  # numpy scalar -> plain Python for a clean repr
        parts.append(str(value))
    return "|".join(parts)


def validate_frame(
    suite: TableSuite, frame: pd.DataFrame, reference_values: dict[str, list[object]] | None = None
) -> list[CheckResult]:
    """Validate every expectation of `suite` on `frame` in one GX suite run; one CheckResult per expectation."""
    import great_expectations as gx

    reference_values = reference_values or {}
    results: list[CheckResult] = []
    built: list[Any] = []
    by_name = {exp.name: exp for exp in suite.expectations}
    for exp in suite.expectations:
        missing = [c for c in exp.columns if c not in frame.columns]
        if missing or (exp.kind == "in_reference" and exp.reference not in reference_values):
            what = f"columns {missing}" if missing else f"reference {exp.reference}"
            results.append(_error(suite, exp, f"{what} not available in {suite.relation}"))
            continue
        built.append(build_expectation(exp, reference_values))

    if built:
        gx_suite = gx.ExpectationSuite(name=suite.name, expectations=built)
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        # No unexpected_index_column_names: with it GX builds a dict for every unexpected row (15 s for 225k
        # failing rows of 1M). SUMMARY alone returns the frame index of the first failing rows; keys are looked
        # up from those.
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
        validation = batch.validate(gx_suite, result_format=result_format)
        for evr in validation.results:
            exp = by_name[evr.expectation_config.meta["check_name"]]
            results.append(_from_gx(suite, exp, evr, frame))
    order = {exp.name: i for i, exp in enumerate(suite.expectations)}
    return sorted(results, key=lambda r: order[r.check_name])


def _sample_keys(frame: pd.DataFrame, index_list: list[Any], key_columns: tuple[str, ...]) -> list[str]:
    """Key values of the sampled failing rows, each key once (a duplicated key appears once per offending row)."""
    keys: list[str] = []
    for item in index_list:
        row = item if isinstance(item, dict) else frame.loc[item, list(key_columns)].to_dict()
        keys.append(_format_key(row, key_columns))
    return list(dict.fromkeys(keys))


def _from_gx(suite: TableSuite, exp: RowExpectation, evr: Any, frame: pd.DataFrame) -> CheckResult:
    info = evr.exception_info or {}
    raised = info.get("raised_exception") if isinstance(info, dict) and "raised_exception" in info else None
    if raised is None and isinstance(info, dict):
        # GX keys exception info by metric when a metric fails to resolve.
        raised = any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())
    if raised:
        message = info.get("exception_message") if isinstance(info, dict) else None
        return _error(suite, exp, f"GX raised while validating: {message or info}")
    res = evr.result or {}
    unexpected = res.get("unexpected_count")
    if unexpected is None:
        return _error(suite, exp, f"GX returned no unexpected_count: {res}")
    keys = _sample_keys(frame, res.get("partial_unexpected_index_list") or [], suite.key_columns)
    return CheckResult(
        check_name=exp.name,
        asset=suite.relation,
        severity=exp.severity,
        status=Status.PASSED if evr.success else Status.FAILED,
        observed_value=float(res.get("unexpected_percent") or 0.0),
        failing_row_count=int(unexpected),
        failing_keys_sample=keys[:SAMPLE_SIZE],
        check_type=exp.kind,
        engine="great_expectations",
        details=f"{exp.description}; {unexpected} of {res.get('element_count')} rows unexpected "
        "(observed_value = unexpected %)",
    )


def _error(suite: TableSuite, exp: RowExpectation, message: str) -> CheckResult:
    return CheckResult(
        check_name=exp.name,
        asset=suite.relation,
        severity=exp.severity,
        status=Status.ERROR,
        check_type=exp.kind,
        engine="great_expectations",
        details=message,
    )
