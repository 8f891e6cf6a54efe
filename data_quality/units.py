"""Validate each unit of rows once with GX and reuse its outcome for as long as the unit is unchanged.

A unit is a piece of a relation that is validated as a whole:
- raw tables (`TableSuite.per_load`): one unit per load (`_load_id`), of the load's *current* rows: those no later
  load of the same key replaced, i.e. the rows staging reads. A superseded row stays in raw as history but is no
  longer judged, so a bad row corrected by a re-export stops failing. Raw is append-only and a load never changes
  once it has landed, so a load is validated by the first run that sees it, its outcome is stored in
  dq.check_units, and later runs validate only loads they have not seen. The load's current row count is its
  fingerprint: a load whose count differs from the stored one (a re-export replaced some of its keys) is
  validated again.
  The new loads of a run are validated together, in one frame, up to MERGE_ROWS rows (one unit 'loads 8,9').
- a staging view keyed on a raw table (`TableSuite.keyed_on`): per key, see keyed_suite.py.
- any other relation: the whole relation is one unit, fingerprinted by its row count and an order-free hash of
  the checked columns, computed by DuckDB over the rows pulled for GX. When the fingerprint is a stored one, GX is
  neither imported nor run.

A check's result in a run adds up the outcomes of the units present now (gx_engine.to_check_result): the same
counts a full re-validation of the current rows gives, so a failure in load 1 keeps failing every later run for as
long as its row is current, and a row replaced by a later load, or a load gone from raw, no longer counts. Every raw
row check judges single rows or rows inside one load (key unique per load), so it is exactly additive over loads.
Rows of acknowledged keys (data_quality/acknowledgements.py) are validated again each run and taken off the sum.

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

from data_quality.acknowledgements import acknowledged_keys, key_filter, matches
from data_quality.check_state import UNITS_TABLE, PendingWrites, table_exists
from data_quality.frames import load_arrow, quote
from data_quality.gx_engine import Outcome, to_check_result, validate_outcomes
from data_quality.keyed_suite import keyed, run_keyed_suite
from data_quality.specs import CheckResult, RowExpectation, Status, TableSuite
from data_quality.sql_rows import unique_outcome, unique_outcome_of_rows

if TYPE_CHECKING:
    import pyarrow as pa

# Bump when the way an outcome is computed changes (frame types, sample rules): stored outcomes then expire.
OUTCOME_VERSION = 2


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


# New loads of a table validated together, in one frame, up to this many rows: GX's cost per validation is mostly
# fixed (10-20 ms per set of rules, whatever the rows), so the small loads of a daily run are validated once
# instead of once each. A larger load is validated on its own (its frame stays the size of the load).
MERGE_ROWS = 200_000


def business_key(suite: TableSuite) -> list[str]:
    """The raw table's natural key: its key columns without the load id (a later load of the key supersedes it)."""
    return [c for c in suite.key_columns if c != "_load_id"]


def superseded_rows(conn: duckdb.DuckDBPyConnection, suite: TableSuite) -> str:
    """Register the row ids of the raw rows a later load of the same key replaced, and return the SQL filter that
    keeps the others: the current rows, those staging reads (the latest load per key; macro latest_row_per_key).

    Keys are compared with `is not distinct from`, as staging's window partitions them (rows with a null key are
    one partition there too)."""
    import pyarrow as pa

    keys = business_key(suite)
    first, cols = quote(keys[0]), ", ".join(quote(c) for c in keys)
    same = " and ".join(f"s.{quote(c)} is not distinct from l.{quote(c)}" for c in keys)
    # Only a key whose first column spans two loads can have been replaced: grouping by that column alone first
    # keeps the grouping by the whole key to those rows (5M events: the few re-exported tickets' rows, not all).
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


def current_filter(superseded: str | None) -> str:
    return f"rowid not in (select rid from {superseded})" if superseded else "true"


def present_loads(
    conn: duckdb.DuckDBPyConnection, relation: str, superseded: str | None = None
) -> dict[int | None, int]:
    """Current rows per load present in a raw table, in load order (a NULL load id, which breaks the loader's
    contract, last). A load all of whose rows a later load replaced is not present: it is history only.

    Raw is append-only, so a load's current rows only ever shrink: their count fingerprints them."""
    rows = conn.execute(
        f"""select _load_id, count(*) from {relation} where {current_filter(superseded)}
            group by _load_id order by _load_id"""
    ).fetchall()
    return dict(rows)


def load_unit(loads: Sequence[int | None], present: dict[int | None, int], superseded: str | None = None) -> Unit:
    """The unit of the current rows of one or more loads; its fingerprint is the current row count of each load."""
    counts = "rows=" + ",".join(str(present[lid]) for lid in loads)
    current = current_filter(superseded)
    if list(loads) == [None]:
        return Unit("load <null>", counts, f"_load_id is null and {current}")
    ids = ",".join(str(int(lid)) for lid in loads if lid is not None)
    return Unit(f"load {ids}" if len(loads) == 1 else f"loads {ids}", counts, f"_load_id in ({ids}) and {current}")


def _unit_loads(label: str, fingerprint: str) -> dict[int | None, int] | None:
    """The loads and row counts a stored unit covered ('load 3' / 'loads 3,4' with 'rows=10' / 'rows=10,7')."""
    kind, _, ids = label.partition(" ")
    if kind not in ("load", "loads") or not fingerprint.startswith("rows="):
        return None
    loads = [None if lid == "<null>" else int(lid) for lid in ids.split(",")]
    counts = [int(n) for n in fingerprint.removeprefix("rows=").split(",")]
    return dict(zip(loads, counts, strict=True))


def _load_chunks(loads: Sequence[int | None], present: dict[int | None, int]) -> list[list[int | None]]:
    """Consecutive loads grouped up to MERGE_ROWS rows; rows without a load id are a unit of their own."""
    chunks: list[list[int | None]] = []
    chunk: list[int | None] = []
    rows = 0
    for lid in loads:
        if lid is None:
            chunks.append([None])
            continue
        if chunk and rows + present[lid] > MERGE_ROWS:
            chunks.append(chunk)
            chunk, rows = [], 0
        chunk.append(lid)
        rows += present[lid]
    return chunks + ([chunk] if chunk else [])


StoredUnits = dict[str, list[tuple[str, str, Outcome]]]  # spec hash -> (unit, fingerprint, outcome), newest first


def stored_outcomes(conn: duckdb.DuckDBPyConnection, relation: str, hashes: Sequence[str]) -> StoredUnits:
    """Stored outcomes by spec hash, newest first; a unit stored twice with the same fingerprint keeps its newest."""
    if not hashes or not table_exists(conn, UNITS_TABLE):
        return {}
    rows = conn.execute(
        f"""select spec_hash, unit, fingerprint, status, element_count, missing_count, unexpected_count, sample_keys
            from {UNITS_TABLE} where relation = ? and spec_hash in (select unnest(?::varchar[]))
            order by checked_at desc""",
        [relation, list(hashes)],
    ).fetchall()
    stored: StoredUnits = {}
    seen: set[tuple[str, str, str]] = set()
    for h, unit, fp, status, el, miss, unexp, keys in rows:
        if (h, unit, fp) not in seen:
            seen.add((h, unit, fp))
            outcome = Outcome(Status(status), int(el), int(miss), int(unexp), tuple(json.loads(keys)))
            stored.setdefault(h, []).append((unit, fp, outcome))
    return stored


def _cover(stored: list[tuple[str, str, Outcome]], present: dict[int | None, int]) -> list[tuple[tuple, Outcome]]:
    """Stored outcomes whose loads are all present with the same row counts, no load counted twice (newest
    first): each is the exact outcome of its rows, so their sum is the outcome of the loads they cover."""
    taken: set[int | None] = set()
    pieces: list[tuple[tuple, Outcome]] = []
    for label, fingerprint, outcome in stored:
        loads = _unit_loads(label, fingerprint)
        if not loads or not taken.isdisjoint(loads):
            continue
        if all(lid in present and present[lid] == n for lid, n in loads.items()):
            taken |= loads.keys()
            pieces.append((tuple(loads), outcome))
    return pieces


def _relation_fingerprint(conn: duckdb.DuckDBPyConnection, rows: object) -> str:
    """Row count and an order-free hash of every pulled value (the rows as GX would see them)."""
    names = getattr(rows, "column_names", [])
    hashed = f"sum(hash({', '.join(quote(c) for c in names)}))::varchar" if names else "'-'"
    ((n, h),) = conn.from_arrow(rows).aggregate(f"count(*), {hashed}").fetchall()
    return f"rows={n};hash={h}"


def _validate_unit(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    exps: Sequence[RowExpectation],
    unit: Unit,
    reference_values: dict[str, list[object]],
    rows: pa.Table | None = None,
) -> dict[str, Outcome]:
    """Outcomes of `exps` on the unit's rows: GX for GX rules, DuckDB for the sql engine's (key uniqueness).
    `rows` are the unit's rows when already pulled (a whole relation)."""
    with_gx = tuple(e for e in exps if e.engine == "great_expectations")
    fresh = {
        e.name: unique_outcome(conn, suite, e, unit.where, unit.params)
        if rows is None
        else unique_outcome_of_rows(conn, rows, suite, e)  # the rows pulled and fingerprinted by the caller
        for e in exps
        if e not in with_gx
    }
    if with_gx:
        narrowed = replace(suite, expectations=with_gx)
        rows = rows if rows is not None else load_arrow(conn, narrowed, unit.where, unit.params)
        fresh |= validate_outcomes(narrowed, rows.to_pandas(), reference_values)
    return fresh


def run_suite(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    reference_values: dict[str, list[object]],
    reuse: bool = True,
    pulled: dict[str, pa.Table] | None = None,
    pending: PendingWrites | None = None,
) -> list[CheckResult]:
    """Every expectation of `suite` over the relation as it is now, validating with GX only unseen units.

    The rows of a whole relation (not per load) are left in `pulled`, by relation, for the checks that follow in
    the same run (the reconciliations read them instead of evaluating a staging view again). New outcomes go to
    `pending` (written when the caller's step is done), or are written at once when no `pending` is given."""
    hashes = {e.name: spec_hash(suite, e, reference_values) for e in suite.expectations}
    stored = stored_outcomes(conn, suite.relation, list(hashes.values())) if reuse else {}
    own = pending if pending is not None else PendingWrites()
    superseded = superseded_rows(conn, suite) if suite.per_load else None
    try:
        if superseded:
            pieces, validated, units = _run_per_load(conn, suite, hashes, stored, reference_values, own, superseded)
            note = (
                f"{units} load(s) in {suite.relation}: {validated} validated now, {units - validated} by earlier "
                "runs (current rows only: rows a later load of their key replaced are history, not judged)"
            )
        elif keyed(conn, suite):
            pieces, note = run_keyed_suite(conn, suite, hashes, reference_values, reuse, pulled, own)
        else:
            pieces, validated = _run_whole_relation(conn, suite, hashes, stored, reference_values, own, pulled)
            note = "validated now" if validated else "relation unchanged since an earlier run: its outcome reused"
        acks = acknowledged_keys(conn, list(hashes))
        notes = {e.name: note for e in suite.expectations}
        for exp in suite.expectations:
            if exp.name in acks:
                pieces[exp.name] = _without_acknowledged(
                    conn, suite, exp, pieces[exp.name], acks[exp.name], reference_values, current_filter(superseded)
                )
                notes[exp.name] = f"{note}; {len(acks[exp.name])} acknowledged key(s) not judged (dq.acknowledgements)"
    finally:
        if superseded:
            conn.unregister(superseded)
    if pending is None:
        own.commit(conn)
    return [to_check_result(suite, e, pieces[e.name], notes[e.name]) for e in suite.expectations]


def _without_acknowledged(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    exp: RowExpectation,
    pieces: list[Outcome],
    keys: list[str],
    reference_values: dict[str, list[object]],
    current: str,
) -> list[Outcome]:
    """The rule's outcome with the rows of acknowledged keys left out: those rows (a few) are validated now and
    their counts taken off the sum (outcomes add up over disjoint rows, gx_engine.to_check_result); their keys
    leave the sample. An errored piece stays an error."""
    if any(o.status is Status.ERROR for o in pieces):
        return pieces
    condition, params = key_filter(suite, keys)
    unit = Unit("acknowledged", "", f"{current} and {condition}", tuple(params))
    acked = _validate_unit(conn, suite, [exp], unit, reference_values)[exp.name]
    if acked.status is Status.ERROR:
        return [acked]
    element = sum(o.element_count for o in pieces) - acked.element_count
    missing = sum(o.missing_count for o in pieces) - acked.missing_count
    unexpected = sum(o.unexpected_count for o in pieces) - acked.unexpected_count
    sample = tuple(k for o in pieces for k in o.sample_keys if not matches(k, keys))
    status = Status.FAILED if unexpected else Status.PASSED
    return [Outcome(status, element, missing, unexpected, tuple(dict.fromkeys(sample)))]


def _run_per_load(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    hashes: dict[str, str],
    stored: StoredUnits,
    reference_values: dict[str, list[object]],
    pending: PendingWrites,
    superseded: str,
) -> tuple[dict[str, list[Outcome]], int, int]:
    """Outcomes per rule over the current rows of every load present: stored ones for loads validated before, fresh
    ones for the rest (merged into few units); returns them in load order, the loads validated now and the loads
    present. `superseded` names the registered row ids of rows a later load replaced (superseded_rows)."""
    present = present_loads(conn, suite.relation, superseded)
    checked_at = datetime.now(UTC)
    pieces: dict[str, list[tuple[tuple, Outcome]]] = {}
    by_uncovered: dict[tuple, list[RowExpectation]] = {}
    for exp in suite.expectations:
        pieces[exp.name] = _cover(stored.get(hashes[exp.name], []), present)
        covered = {lid for loads, _ in pieces[exp.name] for lid in loads}
        uncovered = tuple(lid for lid in present if lid not in covered)
        if uncovered:
            by_uncovered.setdefault(uncovered, []).append(exp)
    validated: set[int | None] = set()
    for uncovered, exps in by_uncovered.items():
        for chunk in _load_chunks(uncovered, present):
            unit = load_unit(chunk, present, superseded)
            fresh = _validate_unit(conn, suite, exps, unit, reference_values)
            validated |= set(chunk)
            for exp in exps:
                pieces[exp.name].append((tuple(chunk), fresh[exp.name]))
            pending.unit_rows += [
                _stored_row(suite.relation, name, hashes[name], unit, o, checked_at)
                for name, o in fresh.items()
                if o.status is not Status.ERROR
            ]

    def load_order(piece: tuple[tuple, Outcome]) -> tuple[bool, int]:
        first = piece[0][0]
        return (first is None, first or 0)

    ordered = {name: [o for _, o in sorted(ps, key=load_order)] for name, ps in pieces.items()}
    return ordered, len(validated), len(present)


def _run_whole_relation(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    hashes: dict[str, str],
    stored: StoredUnits,
    reference_values: dict[str, list[object]],
    pending: PendingWrites,
    pulled: dict[str, pa.Table] | None,
) -> tuple[dict[str, list[Outcome]], bool]:
    """The whole relation as one unit: pulled once (every column a rule reads), fingerprinted, validated only when
    that fingerprint has no stored outcome."""
    rows = load_arrow(conn, suite, every_column=True)
    unit = Unit("relation", _relation_fingerprint(conn, rows))
    if pulled is not None:
        pulled[suite.relation] = rows
    have: dict[str, Outcome] = {}
    for exp in suite.expectations:
        key = (unit.label, unit.fingerprint)
        match = [o for label, fp, o in stored.get(hashes[exp.name], []) if (label, fp) == key]
        if match:
            have[exp.name] = match[0]
    todo = [e for e in suite.expectations if e.name not in have]
    if todo:
        fresh = _validate_unit(conn, suite, todo, unit, reference_values, rows)
        have |= fresh
        checked_at = datetime.now(UTC)
        pending.unit_rows += [
            _stored_row(suite.relation, name, hashes[name], unit, o, checked_at)
            for name, o in fresh.items()
            if o.status is not Status.ERROR
        ]
    return {name: [o] for name, o in have.items()}, bool(todo)


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
