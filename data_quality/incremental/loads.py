"""Raw row rules per load: validate the current rows of loads not validated before, add up every load's outcome."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version

import duckdb

from data_quality.frames import quote
from data_quality.gx_engine import Outcome
from data_quality.incremental.state import PendingOutcomes, stored_outcomes
from data_quality.rules import validate_rows
from data_quality.specs import RowExpectation, Status, TableSuite

# Bump when the way an outcome is computed changes (frame types, sample rules): stored outcomes then expire.
OUTCOME_VERSION = 3
ENGINE_VERSIONS = f"v{OUTCOME_VERSION}/gx {version('great_expectations')}/pandas {version('pandas')}"


def spec_hash(
    suite: TableSuite, exp: RowExpectation, references: dict[str, list[object]], acknowledged: Sequence[str]
) -> str:
    """What an outcome depends on besides the rows: the rule, the keys sampled, the reference, the keys left out."""
    referenced = references.get(exp.reference) if exp.reference else None
    payload = (
        ENGINE_VERSIONS,
        exp.engine,
        exp.kind,
        exp.columns,
        exp.value_set,
        exp.min_value,
        exp.max_value,
        exp.strict,
        suite.key_columns,
        referenced,
        sorted(acknowledged),
    )
    return hashlib.sha256(repr(payload).encode()).hexdigest()[:20]


def superseded_rows(conn: duckdb.DuckDBPyConnection, suite: TableSuite) -> str:
    """Register the row ids of the raw rows a later load of the same key replaced, and return the registered name.

    Keys are compared with `is not distinct from`, as staging's window partitions them (rows with a null key are
    one partition there too)."""
    import pyarrow as pa

    keys = [c for c in suite.key_columns if c != "_load_id"]
    first, cols = quote(keys[0]), ", ".join(quote(c) for c in keys)
    same = " and ".join(f"s.{quote(c)} is not distinct from l.{quote(c)}" for c in keys)
    # only a key whose first column spans two loads can have been replaced: the whole key is grouped for those only
    ids = conn.sql(
        f"""with spanning as (
                select {first} from {suite.relation} group by {first} having min(_load_id) < max(_load_id)
            ),
            candidates as (
                select r.rowid as rid, r.* from {suite.relation} r
                join spanning m on r.{first} is not distinct from m.{first}
            )
            select s.rid from candidates s
            join (select {cols}, max(_load_id) as _dq_latest from candidates group by all) l on {same}
            where s._load_id < l._dq_latest"""
    ).to_arrow_table()
    name = f"dq_superseded_{id(ids)}"
    conn.register(name, ids if ids.num_rows else pa.table({"rid": pa.array([], pa.int64())}))
    return name


def current_filter(superseded: str) -> str:
    """SQL selecting the current rows: those no later load of their key replaced (registered by superseded_rows)."""
    return f"rowid not in (select rid from {superseded})"


def _units(conn: duckdb.DuckDBPyConnection, relation: str, superseded: str) -> dict[int | None, tuple[str, str, str]]:
    """(label, fingerprint, SQL filter) of the current rows of each load, in load order (a NULL load id, which
    breaks the loader's contract, last). Raw is append-only, so a load's current rows only ever shrink: their
    count fingerprints the load."""
    current = current_filter(superseded)
    rows = conn.execute(
        f"""select _load_id, count(*) from {relation} where {current}
            group by _load_id order by _load_id nulls last"""
    ).fetchall()
    return {
        load_id: (f"load {load_id}", f"rows={n}", f"_load_id = {load_id} and {current}")
        if load_id is not None
        else ("load <null>", f"rows={n}", f"_load_id is null and {current}")
        for load_id, n in rows
    }


def run_per_load(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    references: dict[str, list[object]],
    acknowledged: dict[str, list[str]],
    reuse: bool,
    pending: PendingOutcomes,
) -> tuple[dict[str, list[Outcome]], str]:
    """Per rule, its outcome on the current rows of each load present, in load order: stored for loads validated
    before (unless `reuse` is False), validated now for the others; and a note on what was validated now. The
    outcomes validated now go to `pending`."""
    hashes = {e.name: spec_hash(suite, e, references, acknowledged.get(e.name, ())) for e in suite.expectations}
    stored = stored_outcomes(conn, suite.relation, list(hashes.values())) if reuse else {}
    superseded = superseded_rows(conn, suite)
    try:
        present = _units(conn, suite.relation, superseded)
        outcomes: dict[str, dict[int | None, Outcome]] = {e.name: {} for e in suite.expectations}
        todo: dict[int | None, list[RowExpectation]] = {}
        for exp in suite.expectations:
            for load_id, (label, fingerprint, _) in present.items():
                known = stored.get(hashes[exp.name], {}).get((label, fingerprint))
                if known is None:
                    todo.setdefault(load_id, []).append(exp)
                else:
                    outcomes[exp.name][load_id] = known
        checked_at = datetime.now(UTC)
        for load_id, exps in todo.items():
            label, fingerprint, where = present[load_id]
            for name, o in validate_rows(conn, suite, exps, references, where, acknowledged).items():
                outcomes[name][load_id] = o
                if o.status is not Status.ERROR:
                    pending.rows.append(
                        (suite.relation, name, hashes[name], label, fingerprint, str(o.status), o.element_count,
                         o.missing_count, o.unexpected_count, json.dumps(list(o.sample_keys)), checked_at)
                    )  # fmt: skip
    finally:
        conn.unregister(superseded)
    note = (
        f"{len(present)} load(s) in {suite.relation}: {len(todo)} validated now, "
        f"{len(present) - len(todo)} by earlier runs (current rows only: rows a later load of their key "
        "replaced are history, not judged)"
    )
    return {name: [by_load[lid] for lid in present] for name, by_load in outcomes.items()}, note
