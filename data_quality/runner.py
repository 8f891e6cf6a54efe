"""Run the suites against the warehouse: the one entry point `itsm check` and the Dagster checks share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from data_quality import sql_checks, suites
from data_quality.specs import CheckResult, RowExpectation, Severity, Status, TableSuite

if TYPE_CHECKING:  # pandas is loaded by DuckDB's .df() only when a suite runs
    import pandas as pd


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def load_frame(conn: duckdb.DuckDBPyConnection, suite: TableSuite) -> pd.DataFrame:
    """Only the columns the suite needs (key + checked columns), never the whole table.

    A column the relation lacks is left out rather than failing the query: the expectations on it then report
    an ERROR of their own (gx_engine.validate_frame) while the others still run.
    """
    schema, name = suite.relation.split(".", 1)
    present = {
        row[0]
        for row in conn.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?", [schema, name]
        ).fetchall()
    }
    cols = ", ".join(_quote(c) for c in suite.columns if c in present) or "null as no_columns"
    # Through Arrow: same pandas dtypes as .df(), ~10x faster on 5M rows (0.5 s vs 6 s measured).
    return conn.sql(f"select {cols} from {suite.relation}").to_arrow_table().to_pandas()


def load_reference_values(conn: duckdb.DuckDBPyConnection, references: Iterable[str]) -> dict[str, list[object]]:
    values: dict[str, list[object]] = {}
    for ref in set(references):
        relation, column = ref.rsplit(".", 1)
        if sql_checks.relation_exists(conn, relation):
            rows = conn.sql(f"select distinct {_quote(column)} from {relation} where {_quote(column)} is not null")
            values[ref] = sorted(r[0] for r in rows.fetchall())
    return values


def _not_applicable(suite: TableSuite, exp: RowExpectation, why: str) -> CheckResult:
    return CheckResult(
        exp.name,
        suite.relation,
        exp.severity,
        Status.NOT_APPLICABLE,
        check_type=exp.kind,
        engine="great_expectations",
        details=why,
    )


def run_table_suite(conn: duckdb.DuckDBPyConnection, suite: TableSuite) -> list[CheckResult]:
    from data_quality.gx_engine import validate_frame

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
        narrowed = TableSuite(suite.name, suite.relation, suite.asset_key, suite.key_columns, tuple(runnable))
        results += validate_frame(narrowed, load_frame(conn, narrowed), references)
    order = {e.name: i for i, e in enumerate(suite.expectations)}
    return sorted(results, key=lambda r: order[r.check_name])


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

    @property
    def check_specs(self) -> list[tuple[str, Severity, str]]:
        """(name, severity, description) of every check on this asset, in run order."""
        specs = [(e.name, e.severity, e.description) for s in self.table_suites for e in s.expectations]
        for group in (self.volume, self.freshness, self.load_balance, self.quarantine, self.reconciliations):
            specs += [(c.name, c.severity, c.description) for c in group]
        return specs

    def run(self, conn: duckdb.DuckDBPyConnection, as_of: datetime) -> list[CheckResult]:
        results: list[CheckResult] = []
        for suite in self.table_suites:
            results += run_table_suite(conn, suite)
        results += [sql_checks.check_volume(conn, c) for c in self.volume]
        results += [sql_checks.check_freshness(conn, c, as_of) for c in self.freshness]
        results += [sql_checks.check_load_balance(conn, c) for c in self.load_balance]
        results += [sql_checks.check_quarantine(conn, c) for c in self.quarantine]
        results += [sql_checks.check_layers(conn, c) for c in self.reconciliations]
        return results


def checks_by_asset(
    table_suites: Sequence[TableSuite] = suites.TABLE_SUITES,
    volume: Sequence[suites.VolumeCheck] = suites.VOLUME_CHECKS,
    freshness: Sequence[suites.FreshnessCheck] = suites.FRESHNESS_CHECKS,
    load_balance: Sequence[suites.LoadBalanceCheck] = (suites.LOAD_BALANCE,),
    quarantine: Sequence[suites.QuarantineCheck] = (suites.QUARANTINE,),
    reconciliations: Sequence[suites.LayerReconciliation] = suites.RECONCILIATIONS,
) -> list[AssetChecks]:
    """Group every defined check under the asset it guards (one Dagster multi-check per asset)."""
    keys: list[tuple[str, ...]] = []
    for item in (*table_suites, *volume, *freshness, *load_balance, *quarantine, *reconciliations):
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
        )
        for key in keys
    ]


def run_all(conn: duckdb.DuckDBPyConnection, as_of: datetime | None = None) -> list[CheckResult]:
    """Every check in the project, in a stable order."""
    as_of = as_of or datetime.now(UTC)
    results: list[CheckResult] = []
    for group in checks_by_asset():
        results += group.run(conn, as_of)
    return results
