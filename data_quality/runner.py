"""Run the suites against the warehouse: the one entry point `itsm check` and the Dagster checks share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from data_quality import sql_checks, suites
from data_quality.check_state import PendingWrites
from data_quality.frames import load_frame, quote
from data_quality.keyed_reconciliation import check_reconciliation
from data_quality.specs import CheckResult, RowExpectation, Severity, Status, TableSuite, UnclassifiedCheck
from data_quality.unclassified import check_unclassified

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["AssetChecks", "checks_by_asset", "load_frame", "run_all", "run_table_suite"]


def load_reference_values(conn: duckdb.DuckDBPyConnection, references: Iterable[str]) -> dict[str, list[object]]:
    values: dict[str, list[object]] = {}
    for ref in set(references):
        relation, column = ref.rsplit(".", 1)
        if sql_checks.relation_exists(conn, relation):
            rows = conn.sql(f"select distinct {quote(column)} from {relation} where {quote(column)} is not null")
            values[ref] = sorted(r[0] for r in rows.fetchall())
    return values


def _not_applicable(suite: TableSuite, exp: RowExpectation, why: str) -> CheckResult:
    return CheckResult(
        exp.name,
        suite.relation,
        exp.severity,
        Status.NOT_APPLICABLE,
        check_type=exp.kind,
        engine=exp.engine,
        details=why,
    )


def run_table_suite(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    reuse: bool = True,
    pulled: dict[str, pa.Table] | None = None,
    pending: PendingWrites | None = None,
) -> list[CheckResult]:
    """Every expectation of `suite`, validated by GX on the rows not validated before (units.py) unless `reuse`
    is False, in which case every row is validated now (the full re-check the reuse must equal). The rows pulled
    from a whole relation are left in `pulled` for the reconciliations of the same run. What was validated goes to
    `pending` (check_state.py), or is stored at once without one."""
    from data_quality.units import run_suite

    if not sql_checks.relation_exists(conn, suite.relation):
        why = f"{suite.relation} does not exist (not loaded or not built yet)"
        return [_not_applicable(suite, exp, why) for exp in suite.expectations]
    references = load_reference_values(conn, [e.reference for e in suite.expectations if e.reference])
    runnable = [e for e in suite.expectations if not e.reference or e.reference in references]
    skipped = [
        _not_applicable(suite, e, f"reference {e.reference} not in the warehouse (run dbt seed)")
        for e in suite.expectations
        if e not in runnable
    ]
    results = skipped
    if runnable:
        results += run_suite(conn, replace(suite, expectations=tuple(runnable)), references, reuse, pulled, pending)
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


@dataclass(frozen=True)
class AssetChecks:
    """Everything checked on one Dagster asset."""

    asset_key: tuple[str, ...]
    table_suites: tuple[TableSuite, ...] = ()
    volume: tuple[suites.VolumeCheck, ...] = ()
    freshness: tuple[suites.FreshnessCheck, ...] = ()
    load_balance: tuple[suites.LoadBalanceCheck, ...] = ()
    quarantine: tuple[suites.QuarantineCheck, ...] = ()
    reconciliations: tuple[suites.LayerReconciliation, ...] = ()
    unclassified: tuple[UnclassifiedCheck, ...] = ()

    @property
    def check_specs(self) -> list[tuple[str, Severity, str]]:
        """(name, severity, description) of every check on this asset, in run order."""
        specs = [(e.name, e.severity, e.description) for s in self.table_suites for e in s.expectations]
        groups = (self.volume, self.freshness, self.load_balance, self.quarantine, self.reconciliations)
        for group in (*groups, self.unclassified):
            specs += [(c.name, c.severity, c.description) for c in group]
        return specs

    def run(
        self,
        conn: duckdb.DuckDBPyConnection,
        as_of: datetime,
        reuse: bool = True,
        pulled: dict[str, pa.Table] | None = None,
        pending: PendingWrites | None = None,
    ) -> list[CheckResult]:
        """Every check of this asset. `pulled` carries the rows of whole relations pulled by the suites to the
        reconciliations, across the assets checked in one run (pass the same dict to each); `pending` collects
        what was checked, for the caller to store once every check of its step has run (check_state.py); without
        one it is stored at once."""
        pulled = {} if pulled is None else pulled
        own = pending if pending is not None else PendingWrites()
        results: list[CheckResult] = []
        for suite in self.table_suites:
            results += guarded(
                lambda s=suite: run_table_suite(conn, s, reuse, pulled, own),
                [(e.name, suite.relation, e.severity, e.kind) for e in suite.expectations],
            )
        checks = (
            *((c, "volume", lambda c: sql_checks.check_volume(conn, c)) for c in self.volume),
            *((c, "freshness", lambda c: sql_checks.check_freshness(conn, c, as_of)) for c in self.freshness),
            *((c, "load_balance", lambda c: sql_checks.check_load_balance(conn, c)) for c in self.load_balance),
            *((c, "quarantine", lambda c: sql_checks.check_quarantine(conn, c)) for c in self.quarantine),
            *(
                (c, "reconciliation", lambda c: check_reconciliation(conn, c, pulled, reuse, own))
                for c in self.reconciliations
            ),
            *((c, "unclassified", lambda c: check_unclassified(conn, c)) for c in self.unclassified),
        )
        for check, kind, evaluate in checks:
            asset = getattr(check, "relation", None) or getattr(check, "target", None) or ".".join(self.asset_key)
            results += guarded(lambda c=check, f=evaluate: [f(c)], [(check.name, asset, check.severity, kind)])
        if pending is None:
            own.commit(conn)
        return results


def checks_by_asset(
    table_suites: Sequence[TableSuite] = suites.TABLE_SUITES,
    volume: Sequence[suites.VolumeCheck] = suites.VOLUME_CHECKS,
    freshness: Sequence[suites.FreshnessCheck] = suites.FRESHNESS_CHECKS,
    load_balance: Sequence[suites.LoadBalanceCheck] = (suites.LOAD_BALANCE,),
    quarantine: Sequence[suites.QuarantineCheck] = (suites.QUARANTINE,),
    reconciliations: Sequence[suites.LayerReconciliation] = suites.RECONCILIATIONS,
    unclassified: Sequence[UnclassifiedCheck] = (suites.UNCLASSIFIED,),
) -> list[AssetChecks]:
    """Group every defined check under the asset it guards (one Dagster multi-check per asset)."""
    keys: list[tuple[str, ...]] = []
    for item in (*table_suites, *volume, *freshness, *load_balance, *quarantine, *reconciliations, *unclassified):
        if item.asset_key not in keys:
            keys.append(item.asset_key)
    return [
        AssetChecks(
            asset_key=key,
            table_suites=tuple(s for s in table_suites if s.asset_key == key),
            volume=tuple(c for c in volume if c.asset_key == key),
            freshness=tuple(c for c in freshness if c.asset_key == key),
            load_balance=tuple(c for c in load_balance if c.asset_key == key),
            quarantine=tuple(c for c in quarantine if c.asset_key == key),
            reconciliations=tuple(c for c in reconciliations if c.asset_key == key),
            unclassified=tuple(c for c in unclassified if c.asset_key == key),
        )
        for key in keys
    ]


def run_all(conn: duckdb.DuckDBPyConnection, as_of: datetime | None = None, reuse: bool = True) -> list[CheckResult]:
    """Every check in the project, in a stable order; `reuse=False` re-validates every row. What was checked is
    stored once every check has run."""
    as_of = as_of or datetime.now(UTC)
    results: list[CheckResult] = []
    pulled: dict[str, pa.Table] = {}
    pending = PendingWrites()
    for group in checks_by_asset():
        results += group.run(conn, as_of, reuse=reuse, pulled=pulled, pending=pending)
    pending.commit(conn)
    return results
