"""Great Expectations (1.x) as the row-level engine, through its pandas route.

On DuckDB GX's SQL datasource fails every expectation (the connection is released before the fetch), so each suite
pulls the columns it needs into pandas and validates that frame; the canary test (test_dq_gx_canary.py) fails if an
upgrade turns these validations into passes or errors. GX is imported only when a non-empty frame is validated.

`validate_outcomes` returns raw counts per expectation (an `Outcome`), so outcomes on separate pieces of a table
(one per raw load, data_quality/incremental/) add up to the one result a whole-table validation would give.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from data_quality.specs import CheckResult, RowExpectation, Status, TableSuite

if TYPE_CHECKING:  # frames arrive from DuckDB's Arrow conversion; a run with nothing to validate needs no pandas
    import pandas as pd

SAMPLE_SIZE = 10


@lru_cache(maxsize=1)
def gx_context() -> Any:
    """One ephemeral (in-memory) GX context per process: no files written, no analytics, no progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch below this size (md5 over every row); nothing here reads that fingerprint
    pandas_execution_engine.HASH_THRESHOLD = 0
    config = DataContextConfig(
        analytics_enabled=False,  # GX's documented context setting: no usage events, without an environment variable
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


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
    if exp.kind in ("in_set", "in_reference"):
        values = list(exp.value_set or ()) if exp.kind == "in_set" else reference_values[exp.reference or ""]
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


def format_key(row: dict[str, Any], key_columns: tuple[str, ...]) -> str:
    parts = []
    for col in key_columns:
        value = row.get(col)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = "<null>"
        elif hasattr(value, "item"):
            value = value.item()  # numpy scalar -> plain Python for a clean repr
        parts.append(str(value))
    return "|".join(parts)


@dataclass(frozen=True)
class Outcome:
    """What GX found for one expectation on one frame: counts that add up across frames, the first failing keys."""

    status: Status  # PASSED, FAILED or ERROR
    element_count: int = 0
    missing_count: int = 0  # rows GX left out of the denominator (nulls, for all kinds but not_null)
    unexpected_count: int = 0
    sample_keys: tuple[str, ...] = ()
    message: str = ""  # why it errored


def validate_outcomes(
    suite: TableSuite, frame: pd.DataFrame, reference_values: dict[str, list[object]] | None = None
) -> dict[str, Outcome]:
    """Validate every expectation of `suite` on `frame` in one GX suite run; one Outcome per expectation name."""
    reference_values = reference_values or {}
    outcomes: dict[str, Outcome] = {}
    runnable: list[RowExpectation] = []
    for exp in suite.expectations:
        missing = [c for c in exp.columns if c not in frame.columns]
        if missing or (exp.kind == "in_reference" and exp.reference not in reference_values):
            what = f"columns {missing}" if missing else f"reference {exp.reference}"
            outcomes[exp.name] = Outcome(Status.ERROR, message=f"{what} not available in {suite.relation}")
        else:
            runnable.append(exp)
    if runnable and len(frame) == 0:
        # GX's answer on zero rows, without paying its import: passed, 0 of 0 unexpected.
        outcomes |= {exp.name: Outcome(Status.PASSED) for exp in runnable}
    elif runnable:
        outcomes |= _validate_with_gx(suite, runnable, frame, reference_values)
    return outcomes


def gx_batches(runnable: Sequence[RowExpectation]) -> list[tuple[list[str], list[RowExpectation]]]:
    """The rules of a suite grouped by the columns they read: (columns, rules) per GX validation. GX copies the
    frame it validates for every rule, so a frame of the rules' own columns keeps those copies small; counts and
    failing row indexes are those on the whole frame (test_dq_gx_canary.py)."""
    batches: dict[tuple[str, ...], list[RowExpectation]] = {}
    for exp in runnable:
        batches.setdefault(tuple(dict.fromkeys(exp.columns)), []).append(exp)
    return [(list(columns), exps) for columns, exps in batches.items()]


# Frames up to this many rows are validated in one GX validation (all rules together), larger ones per column set.
ONE_BATCH_ROWS = 50_000

# The frame index of the first failing rows (keys are looked up from those, cheaper than GX's index columns).
SUMMARY = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
# Counts only, without the failing rows' index list GX copies rows to build; failed rules run again with SUMMARY.
COUNTS_ONLY = {"result_format": "BASIC", "partial_unexpected_count": 0}


def _validate_with_gx(
    suite: TableSuite,
    runnable: Sequence[RowExpectation],
    frame: pd.DataFrame,
    reference_values: dict[str, list],
    one_batch: bool = False,
) -> dict[str, Outcome]:
    """GX's outcome for each rule: the rules of each batch (gx_batches) counted by GX, and the rules that failed
    validated again with their first failing rows (SUMMARY). `one_batch` is the reference this is tested against:
    every rule in one SUMMARY validation of the whole frame."""
    if one_batch:
        return _run_gx(suite, list(runnable), frame, list(frame.columns), reference_values, SUMMARY)
    outcomes: dict[str, Outcome] = {}
    # a small frame (a daily load) is cheap to copy: one validation for every rule saves GX's fixed cost
    batches = gx_batches(runnable) if len(frame) > ONE_BATCH_ROWS else [(list(frame.columns), list(runnable))]
    for columns, exps in batches:
        counted = _run_gx(suite, exps, frame, columns, reference_values, COUNTS_ONLY)
        failed = [exp for exp in exps if counted[exp.name].status is Status.FAILED]
        outcomes |= counted
        if failed:
            outcomes |= _run_gx(suite, failed, frame, columns, reference_values, SUMMARY)
    return outcomes


def _run_gx(
    suite: TableSuite,
    exps: Sequence[RowExpectation],
    frame: pd.DataFrame,
    columns: list[str],
    reference_values: dict[str, list],
    result_format: dict[str, object],
) -> dict[str, Outcome]:
    import great_expectations as gx

    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=[build_expectation(e, reference_values) for e in exps])
    # a column selection shares the frame's index (failing rows are looked up in `frame`) and, with pandas'
    # copy-on-write, its data
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame[columns]})
    validation = batch.validate(gx_suite, result_format=result_format)
    return {
        evr.expectation_config.meta["check_name"]: _outcome_from_gx(evr, frame, suite.key_columns)
        for evr in validation.results
    }


def validate_frame(
    suite: TableSuite, frame: pd.DataFrame, reference_values: dict[str, list[object]] | None = None
) -> list[CheckResult]:
    """Validate every expectation of `suite` on `frame`; one CheckResult per expectation, in suite order."""
    outcomes = validate_outcomes(suite, frame, reference_values)
    return [to_check_result(suite, exp, [outcomes[exp.name]]) for exp in suite.expectations]


def to_check_result(suite: TableSuite, exp: RowExpectation, outcomes: Sequence[Outcome], note: str = "") -> CheckResult:
    """One CheckResult from the outcomes of `exp` on disjoint pieces of the relation, in row order: counts add up,
    the unexpected % is over the rows judged (element - missing) as GX computes it, any errored piece is an ERROR."""
    errors = [o.message for o in outcomes if o.status is Status.ERROR]
    if errors:
        return CheckResult(
            exp.name, suite.relation, exp.severity, Status.ERROR, None, None, [], exp.kind, exp.engine, errors[0]
        )
    element = sum(o.element_count for o in outcomes)
    judged = element - sum(o.missing_count for o in outcomes)
    unexpected = sum(o.unexpected_count for o in outcomes)
    keys = list(dict.fromkeys(k for o in outcomes for k in o.sample_keys))
    failed = any(o.status is Status.FAILED for o in outcomes)
    return CheckResult(
        check_name=exp.name,
        asset=suite.relation,
        severity=exp.severity,
        status=Status.FAILED if failed else Status.PASSED,
        observed_value=unexpected / judged * 100 if judged > 0 else 0.0,  # GX's own formula and float order
        failing_row_count=unexpected,
        failing_keys_sample=keys[:SAMPLE_SIZE],
        check_type=exp.kind,
        engine=exp.engine,
        details=f"{exp.description}; {unexpected} of {element} rows unexpected (observed_value = unexpected %)"
        + (f"; {note}" if note else ""),
    )


def _sample_keys(frame: pd.DataFrame, index_list: list[Any], key_columns: tuple[str, ...]) -> list[str]:
    """Key values of the sampled failing rows, each key once (a duplicated key appears once per offending row)."""
    keys = [format_key(frame.loc[index, list(key_columns)].to_dict(), key_columns) for index in index_list]
    return list(dict.fromkeys(keys))


def _outcome_from_gx(evr: Any, frame: pd.DataFrame, key_columns: tuple[str, ...]) -> Outcome:
    info = evr.exception_info or {}
    # GX keys exception info by metric when a metric fails to resolve
    if info.get("raised_exception") or any(isinstance(v, dict) and v.get("raised_exception") for v in info.values()):
        return Outcome(Status.ERROR, message=f"GX raised while validating: {info.get('exception_message') or info}")
    res = evr.result
    keys = _sample_keys(frame, res.get("partial_unexpected_index_list") or [], key_columns)
    return Outcome(
        status=Status.PASSED if evr.success else Status.FAILED,
        element_count=int(res.get("element_count") or 0),
        missing_count=int(res.get("missing_count") or 0),
        unexpected_count=int(res["unexpected_count"]),
        sample_keys=tuple(keys[:SAMPLE_SIZE]),
    )
