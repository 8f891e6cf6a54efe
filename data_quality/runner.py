"""Run the suites against the warehouse: the one entry point `itsm check` and the Dagster checks share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import duckdb

from data_quality import incremental, sql_checks, suites
from data_quality.acknowledgements import acknowledged_keys
from data_quality.frames import column_types, is_view, quote
from data_quality.gx_engine import to_check_result
from data_quality.rules import validate_rows
from data_quality.specs import AggregateCheck, CheckResult, Severity, Status, TableSuite, not_applicable
from data_quality.unclassified import check_unclassified

__all__ = ["AssetChecks", "checks_by_asset", "run_all", "run_table_suite"]


def load_reference_values(conn: duckdb.DuckDBPyConnection, references: Iterable[str]) -> dict[str, list[object]]:
    values: dict[str, list[object]] = {}
    for ref in set(references):
        relation, column = ref.rsplit(".", 1)
        if sql_checks.relation_exists(conn, relation):
            rows = conn.sql(f"select distinct {quote(column)} from {relation} where {quote(column)} is not null")
            values[ref] = sorted(r[0] for r in rows.fetchall())
    return values


def run_table_suite(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    reuse: bool = True,
    pending: incremental.PendingOutcomes | None = None,
    snapshots: dict[str, str] | None = None,
) -> list[CheckResult]:
    """Every expectation of `suite`: a raw table's loads once each (data_quality/incremental/; `reuse=False`
    validates every load again), any other relation whole (from its snapshot in `snapshots`, if any). What was
    validated goes to `pending`, or is stored at once without one."""
    if not sql_checks.relation_exists(conn, suite.relation):
        why = f"{suite.relation} does not exist (not loaded or not built yet)"
        return [not_applicable(e.name, suite.relation, e.severity, e.kind, e.engine, why) for e in suite.expectations]
    references = load_reference_values(conn, [e.reference for e in suite.expectations if e.reference])
    runnable = tuple(e for e in suite.expectations if not e.reference or e.reference in references)
    why = "not in the warehouse (run dbt seed)"
    results = [
        not_applicable(e.name, suite.relation, e.severity, e.kind, e.engine, f"reference {e.reference} {why}")
        for e in suite.expectations
        if e not in runnable
    ]
    if runnable:
        suite_now = replace(suite, expectations=runnable)
        acks = acknowledged_keys(conn, [e.name for e in runnable])
        if suite.per_load:
            own = pending if pending is not None else incremental.PendingOutcomes()
            pieces, note = incremental.run_per_load(conn, suite_now, references, acks, reuse, own)
            if pending is None:
                own.commit(conn)
        else:
            source = (snapshots or {}).get(suite.relation)
            outcomes = validate_rows(conn, suite_now, runnable, references, acknowledged=acks, source=source)
            pieces, note = {name: [o] for name, o in outcomes.items()}, "every row validated now"
        for exp in runnable:
            acked = f"; {len(acks.get(exp.name, []))} acknowledged key(s) not judged (dq.acknowledgements)"
            results.append(to_check_result(suite, exp, pieces[exp.name], note + (acked if exp.name in acks else "")))
    order = {e.name: i for i, e in enumerate(suite.expectations)}
    return sorted(results, key=lambda r: order[r.check_name])


def guarded(
    evaluate: Callable[[], list[CheckResult]], checks: Sequence[tuple[str, str, Severity, str]]
) -> list[CheckResult]:
    """The results of `evaluate`; if it raises, one ERROR result (with the exception's text) for each of `checks`
    (name, asset, severity, check type): only the checks that broke, never their neighbours. A DuckDB connection
    that is no longer usable (a fatal error, a closed file) is not a check's error: it is raised to the step."""
    try:
        return evaluate()
    except (duckdb.FatalException, duckdb.ConnectionException):
        raise
    except Exception as err:  # any other failure of a check is that check's error, recorded as such
        message = f"the check raised {type(err).__name__}: {err}"
        return [
            CheckResult(name, asset, severity, Status.ERROR, check_type=kind, engine="runner", details=message)
            for name, asset, severity, kind in checks
        ]


CHECK_TYPES = {
    suites.VolumeCheck: "volume",
    suites.FreshnessCheck: "freshness",
    suites.LoadBalanceCheck: "load_balance",
    suites.QuarantineCheck: "quarantine",
    suites.LayerReconciliation: "reconciliation",
    suites.UnclassifiedCheck: "unclassified",
}


def _evaluate(
    conn: duckdb.DuckDBPyConnection, check: AggregateCheck, as_of: datetime, snapshots: dict[str, str] | None
) -> CheckResult:
    """One aggregate check, by its kind (sql_checks.py, unclassified.py)."""
    if isinstance(check, suites.VolumeCheck):
        return sql_checks.check_volume(conn, check)
    if isinstance(check, suites.FreshnessCheck):
        return sql_checks.check_freshness(conn, check, as_of)
    if isinstance(check, suites.LoadBalanceCheck):
        return sql_checks.check_load_balance(conn, check)
    if isinstance(check, suites.QuarantineCheck):
        return sql_checks.check_quarantine(conn, check)
    if isinstance(check, suites.LayerReconciliation):
        return sql_checks.check_layers(conn, check, snapshots)
    return check_unclassified(conn, check)


@dataclass(frozen=True)
class AssetChecks:
    """Everything checked on one Dagster asset: row rules (table suites), then aggregate checks."""

    asset_key: tuple[str, ...]
    table_suites: tuple[TableSuite, ...] = ()
    checks: tuple[AggregateCheck, ...] = ()

    @property
    def check_specs(self) -> list[tuple[str, Severity, str]]:
        """(name, severity, description) of every check on this asset, in run order."""
        specs = [(e.name, e.severity, e.description) for s in self.table_suites for e in s.expectations]
        return specs + [(c.name, c.severity, c.description) for c in self.checks]

    def run(
        self,
        conn: duckdb.DuckDBPyConnection,
        as_of: datetime,
        reuse: bool = True,
        pending: incremental.PendingOutcomes | None = None,
        snapshots: dict[str, str] | None = None,
    ) -> list[CheckResult]:
        """Every check of this asset. `pending` collects the outcomes validated now, for the caller to store once
        every check of its step has run; without one they are stored at once. `snapshots`: snapshot_views."""
        results: list[CheckResult] = []
        for suite in self.table_suites:
            results += guarded(
                lambda s=suite: run_table_suite(conn, s, reuse, pending, snapshots),
                [(e.name, suite.relation, e.severity, e.kind) for e in suite.expectations],
            )
        for check in self.checks:
            asset = getattr(check, "relation", None) or getattr(check, "target", None) or ".".join(self.asset_key)
            kind = CHECK_TYPES[type(check)]
            results += guarded(
                lambda c=check: [_evaluate(conn, c, as_of, snapshots)], [(check.name, asset, check.severity, kind)]
            )
        return results


def checks_by_asset() -> list[AssetChecks]:
    """Group every check of data_quality/suites.py under the asset it guards (one Dagster multi-check per asset)."""
    aggregates = suites.AGGREGATE_CHECKS
    keys = list(dict.fromkeys(item.asset_key for item in (*suites.TABLE_SUITES, *aggregates)))
    return [
        AssetChecks(
            asset_key=key,
            table_suites=tuple(s for s in suites.TABLE_SUITES if s.asset_key == key),
            checks=tuple(c for c in aggregates if c.asset_key == key),
        )
        for key in keys
    ]


def snapshot_views(conn: duckdb.DuckDBPyConnection, groups: Sequence[AssetChecks]) -> dict[str, str]:
    """Each view the whole-relation checks of `groups` read (a staging view is a window over all of raw), evaluated
    once: relation -> the registered name of its rows, just the columns those checks read."""
    needed: dict[str, list[str]] = {}
    for group in groups:
        for suite in (s for s in group.table_suites if not s.per_load):
            needed.setdefault(suite.relation, []).extend(suite.columns)
        for spec in (c for c in group.checks if isinstance(c, suites.LayerReconciliation)):
            columns = [spec.key, *(spec.source_filter[:1] if spec.source_filter else ())]
            needed.setdefault(spec.source, []).extend(columns)
            needed.setdefault(spec.target, []).extend(columns)
    snapshots: dict[str, str] = {}
    for relation, columns in needed.items():
        if not is_view(conn, relation):
            continue
        types = column_types(conn, relation)
        selected = ", ".join(quote(c) for c in dict.fromkeys(columns) if c in types)
        try:
            rows = conn.sql(f"select {selected or 'null as no_columns'} from {relation}").to_arrow_table()
        except (duckdb.FatalException, duckdb.ConnectionException):
            raise
        except duckdb.Error:  # a broken view: its checks read it themselves and each records its own error
            continue
        snapshots[relation] = f"dq_snapshot_{len(snapshots)}_{id(rows)}"
        conn.register(snapshots[relation], rows)
    return snapshots


def run_step(
    conn: duckdb.DuckDBPyConnection,
    groups: Sequence[AssetChecks],
    as_of: datetime,
    reuse: bool = True,
    pending: incremental.PendingOutcomes | None = None,
) -> list[list[CheckResult]]:
    """The results of each of `groups`, as one check step runs them: the views they read evaluated once.
    `pending` collects the outcomes validated now; without one they are stored at once."""
    snapshots = snapshot_views(conn, groups)
    try:
        return [group.run(conn, as_of, reuse, pending, snapshots) for group in groups]
    finally:
        for name in snapshots.values():
            conn.unregister(name)


def run_all(conn: duckdb.DuckDBPyConnection, as_of: datetime | None = None, reuse: bool = True) -> list[CheckResult]:
    """Every check in the project, in a stable order; `reuse=False` validates every raw load again. The outcomes
    validated now are stored once every check has run."""
    pending = incremental.PendingOutcomes()
    results = run_step(conn, checks_by_asset(), as_of or datetime.now(UTC), reuse, pending)
    pending.commit(conn)
    return [r for group_results in results for r in group_results]
