"""Validate each unit of rows once with GX and reuse its outcome for as long as the unit is unchanged.

A unit is a piece of a relation that is validated as a whole:
- raw tables (`TableSuite.per_load`): one unit per load (`_load_id`). Raw is append-only and a load never changes
  once it has landed, so a load is validated by the first run that sees it, its outcome is stored in
  dq.check_units, and later runs validate only loads they have not seen. The load's row count is its fingerprint:
  a load whose count differs from the stored one is validated again.
- any other relation (staging views): the whole relation is one unit, fingerprinted by its row count and an
  order-free hash of the checked columns, computed by DuckDB over the rows pulled for GX. When the fingerprint is
  a stored one, GX is neither imported nor run.

A check's result in a run adds up the outcomes of the units present now (gx_engine.to_check_result): the same
counts a full re-validation gives, so a failure in load 1 keeps failing every later run for as long as load 1 is
in raw, and a load that is gone from raw no longer counts. Every raw row check judges single rows or rows inside
one load (key unique per load), so it is exactly additive over loads.

Outcomes are keyed by a hash of the expectation (kind, columns, values, bounds, sample keys, referenced values)
and the GX / pandas versions: changing a rule or upgrading GX re-validates everything once. Errors are never
stored, so a unit that errored is validated again next run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import version
from typing import TYPE_CHECKING

import duckdb

from data_quality.frames import load_arrow, quote
from data_quality.gx_engine import Outcome, to_check_result, validate_outcomes
from data_quality.results import RESULTS_SCHEMA, insert_rows
from data_quality.specs import CheckResult, RowExpectation, Status, TableSuite
from data_quality.sql_rows import unique_outcome, unique_outcome_of_rows

if TYPE_CHECKING:
    import pyarrow as pa

UNITS_TABLE = f"{RESULTS_SCHEMA}.check_units"
UNITS_COLUMNS = (
    ("relation", "VARCHAR NOT NULL"),
    ("check_name", "VARCHAR NOT NULL"),
    ("spec_hash", "VARCHAR NOT NULL"),
    ("unit", "VARCHAR NOT NULL"),  # 'load <id>' or 'relation'
    ("fingerprint", "VARCHAR NOT NULL"),
    ("status", "VARCHAR NOT NULL"),  # passed / failed (errors are not stored)
    ("element_count", "BIGINT NOT NULL"),
    ("missing_count", "BIGINT NOT NULL"),
    ("unexpected_count", "BIGINT NOT NULL"),
    ("sample_keys", "VARCHAR NOT NULL"),  # JSON array, first failing keys of the unit
    ("checked_at", "TIMESTAMPTZ NOT NULL"),
)
# Bump when the way an outcome is computed changes (frame types, sample rules): stored outcomes then expire.
OUTCOME_VERSION = 1


@dataclass(frozen=True)
class Unit:
    label: str
    fingerprint: str
    where: str = "true"  # SQL filter selecting the unit's rows
    params: tuple[object, ...] = ()


@lru_cache(maxsize=1)
def _engine_versions() -> str:
    return f"v{OUTCOME_VERSION}/gx {version('great_expectations')}/pandas {version('pandas')}"


def spec_hash(suite: TableSuite, exp: RowExpectation, reference_values: dict[str, list[object]]) -> str:
    """What an outcome depends on besides the rows: the rule, the keys sampled, the reference it reads."""
    referenced = reference_values.get(exp.reference) if exp.reference else None
    payload = (
        _engine_versions(),
        exp.engine,
        exp.kind,
        exp.columns,
        exp.value_set,
        exp.min_value,
        exp.max_value,
        exp.strict,
        suite.key_columns,
        referenced,
    )
    return hashlib.sha256(repr(payload).encode()).hexdigest()[:20]


def load_units(conn: duckdb.DuckDBPyConnection, relation: str) -> list[Unit]:
    """One unit per load present in a raw table, in load order; the row count is the fingerprint."""
    rows = conn.execute(f"select _load_id, count(*) from {relation} group by _load_id order by _load_id").fetchall()
    return [
        Unit(f"load {lid}", f"rows={n}", "_load_id = ?", (lid,))
        if lid is not None
        # A row without _load_id breaks the loader's contract; it is still validated, as its own unit.
        else Unit("load <null>", f"rows={n}", "_load_id is null")
        for lid, n in rows
    ]


def ensure_units_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RESULTS_SCHEMA}")
    cols = ",\n    ".join(f"{name} {ddl}" for name, ddl in UNITS_COLUMNS)
    conn.execute(f"CREATE TABLE IF NOT EXISTS {UNITS_TABLE} (\n    {cols}\n)")


def stored_outcomes(
    conn: duckdb.DuckDBPyConnection, relation: str, hashes: Sequence[str]
) -> dict[tuple[str, str, str], Outcome]:
    """Stored outcomes by (spec_hash, unit, fingerprint); the latest wins when a unit was stored twice."""
    schema, name = UNITS_TABLE.split(".")
    exists = conn.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
    ).fetchone()[0]
    if not exists or not hashes:
        return {}
    rows = conn.execute(
        f"""select spec_hash, unit, fingerprint, status, element_count, missing_count, unexpected_count, sample_keys
            from {UNITS_TABLE} where relation = ? and spec_hash in (select unnest(?::varchar[]))
            order by checked_at""",
        [relation, list(hashes)],
    ).fetchall()
    return {
        (h, unit, fp): Outcome(Status(status), int(el), int(miss), int(unexp), tuple(json.loads(keys)))
        for h, unit, fp, status, el, miss, unexp, keys in rows
    }


def store_outcomes(conn: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """Append outcomes (append-only like dq.check_results); skipped on a read-only warehouse (nothing to reuse)."""
    if not rows:
        return
    try:
        ensure_units_table(conn)
        insert_rows(conn, UNITS_TABLE, len(UNITS_COLUMNS), rows)
    except duckdb.Error as err:
        if "read-only" not in str(err):
            raise


def _relation_fingerprint(conn: duckdb.DuckDBPyConnection, rows: object) -> str:
    """Row count and an order-free hash of every pulled value (the rows as GX would see them)."""
    names = getattr(rows, "column_names", [])
    hashed = f"sum(hash({', '.join(quote(c) for c in names)}))::varchar" if names else "'-'"
    ((n, h),) = conn.from_arrow(rows).aggregate(f"count(*), {hashed}").fetchall()
    return f"rows={n};hash={h}"


def run_suite(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    reference_values: dict[str, list[object]],
    reuse: bool = True,
    pulled: dict[str, pa.Table] | None = None,
) -> list[CheckResult]:
    """Every expectation of `suite` over the relation as it is now, validating with GX only unseen units.

    The rows of a whole relation (not per load) are left in `pulled`, by relation, for the checks that follow in
    the same run (the reconciliations read them instead of evaluating a staging view again)."""
    hashes = {e.name: spec_hash(suite, e, reference_values) for e in suite.expectations}
    stored = stored_outcomes(conn, suite.relation, list(hashes.values())) if reuse else {}
    checked_at = datetime.now(UTC)
    units = load_units(conn, suite.relation) if suite.per_load else [Unit("relation", "")]
    by_unit: list[dict[str, Outcome]] = []
    new_rows: list[tuple] = []
    validated = 0
    for unit in units:
        rows = None
        if not suite.per_load:
            # The whole relation: pull it once (every column a rule reads), fingerprint what was pulled, and
            # validate only if that fingerprint is new.
            rows = load_arrow(conn, suite, every_column=True)
            unit = replace(unit, fingerprint=_relation_fingerprint(conn, rows))
            if pulled is not None:
                pulled[suite.relation] = rows
        have = {
            e.name: stored[key]
            for e in suite.expectations
            if (key := (hashes[e.name], unit.label, unit.fingerprint)) in stored
        }
        todo = tuple(e for e in suite.expectations if e.name not in have)
        with_gx = tuple(e for e in todo if e.engine == "great_expectations")
        fresh = {
            e.name: unique_outcome(conn, suite, e, unit.where, unit.params)
            if rows is None
            else unique_outcome_of_rows(conn, rows, suite, e)  # the rows pulled and fingerprinted above
            for e in todo
            if e not in with_gx
        }
        if with_gx:
            narrowed = replace(suite, expectations=with_gx)
            rows = rows if rows is not None else load_arrow(conn, narrowed, unit.where, unit.params)
            fresh |= validate_outcomes(narrowed, rows.to_pandas(), reference_values)
        if todo:
            have |= fresh
            validated += 1
            new_rows += [
                _stored_row(suite.relation, name, hashes[name], unit, o, checked_at)
                for name, o in fresh.items()
                if o.status is not Status.ERROR
            ]
        by_unit.append(have)
    store_outcomes(conn, new_rows)
    note = _reuse_note(suite, len(units), validated)
    return [to_check_result(suite, e, [outcomes[e.name] for outcomes in by_unit], note) for e in suite.expectations]


def _stored_row(relation: str, name: str, spec: str, unit: Unit, o: Outcome, checked_at: datetime) -> tuple:
    """A dq.check_units row, in UNITS_COLUMNS order."""
    return (
        relation,
        name,
        spec,
        unit.label,
        unit.fingerprint,
        str(o.status),
        o.element_count,
        o.missing_count,
        o.unexpected_count,
        json.dumps(list(o.sample_keys)),
        checked_at,
    )


def _reuse_note(suite: TableSuite, units: int, validated: int) -> str:
    if suite.per_load:
        return f"{units} load(s) in {suite.relation}: {validated} validated now, {units - validated} by earlier runs"
    return "validated now" if validated else "relation unchanged since an earlier run: its outcome reused"
