"""Raw row rules per load: validate the current rows of loads not validated before, add up every load's outcome."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import version

import duckdb

from data_quality.frames import quote
from data_quality.gx_engine import Outcome
from data_quality.incremental.state import PendingOutcomes, stored_outcomes
from data_quality.rules import validate_rows
from data_quality.specs import RowExpectation, Status, TableSuite

# Bump when the way an outcome is computed changes (frame types, sample rules): stored outcomes then expire.
OUTCOME_VERSION = 3

# New loads of a table are validated together, in one frame, up to this many rows: GX's cost per validation is
# mostly fixed, so the small loads of a daily run are validated once instead of once each.
MERGE_ROWS = 200_000


@lru_cache(maxsize=1)
def _engine_versions() -> str:
    return f"v{OUTCOME_VERSION}/gx {version('great_expectations')}/pandas {version('pandas')}"


def spec_hash(
    suite: TableSuite, exp: RowExpectation, references: dict[str, list[object]], acknowledged: Sequence[str]
) -> str:
    """What an outcome depends on besides the rows: the rule, the keys sampled, the reference, the keys left out."""
    referenced = references.get(exp.reference) if exp.reference else None
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


def present_loads(conn: duckdb.DuckDBPyConnection, relation: str, superseded: str) -> dict[int | None, int]:
    """Current rows per load, in load order (a NULL load id, which breaks the loader's contract, last). Raw is
    append-only, so a load's current rows only ever shrink: their count fingerprints the load."""
    rows = conn.execute(
        f"""select _load_id, count(*) from {relation} where {current_filter(superseded)}
            group by _load_id order by _load_id nulls last"""
    ).fetchall()
    return dict(rows)


def _unit(loads: Sequence[int | None], present: dict[int | None, int], superseded: str) -> tuple[str, str, str]:
    """(label, fingerprint, SQL filter) of the current rows of one or more loads."""
    fingerprint = "rows=" + ",".join(str(present[lid]) for lid in loads)
    if list(loads) == [None]:
        return "load <null>", fingerprint, f"_load_id is null and {current_filter(superseded)}"
    ids = ",".join(str(int(lid)) for lid in loads if lid is not None)
    label = f"load {ids}" if len(loads) == 1 else f"loads {ids}"
    return label, fingerprint, f"_load_id in ({ids}) and {current_filter(superseded)}"


def _unit_loads(label: str, fingerprint: str) -> dict[int | None, int]:
    """The loads and row counts a stored unit covered ('load 3' / 'loads 3,4' with 'rows=10' / 'rows=10,7')."""
    ids = label.partition(" ")[2].split(",")
    counts = [int(n) for n in fingerprint.removeprefix("rows=").split(",")]
    return dict(zip([None if lid == "<null>" else int(lid) for lid in ids], counts, strict=True))


def _chunks(loads: Sequence[int | None], present: dict[int | None, int]) -> list[list[int | None]]:
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


def _cover(stored: list[tuple[str, str, Outcome]], present: dict[int | None, int]) -> list[tuple[tuple, Outcome]]:
    """Stored outcomes whose loads are all present with the same row counts, no load counted twice (newest first):
    each is the exact outcome of its rows, so their sum is the outcome of the loads they cover."""
    taken: set[int | None] = set()
    pieces: list[tuple[tuple, Outcome]] = []
    for label, fingerprint, outcome in stored:
        loads = _unit_loads(label, fingerprint)
        if taken.isdisjoint(loads) and all(lid in present and present[lid] == n for lid, n in loads.items()):
            taken |= loads.keys()
            pieces.append((tuple(loads), outcome))
    return pieces


def run_per_load(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    references: dict[str, list[object]],
    acknowledged: dict[str, list[str]],
    reuse: bool,
    pending: PendingOutcomes,
) -> tuple[dict[str, list[Outcome]], str]:
    """Per rule, the outcomes over the current rows of every load present, in load order: stored ones for loads
    validated before (unless `reuse` is False), fresh ones for the rest; and a note on what was validated now.
    The fresh outcomes go to `pending`."""
    hashes = {e.name: spec_hash(suite, e, references, acknowledged.get(e.name, ())) for e in suite.expectations}
    stored = stored_outcomes(conn, suite.relation, list(hashes.values())) if reuse else {}
    superseded = superseded_rows(conn, suite)
    try:
        present = present_loads(conn, suite.relation, superseded)
        pieces: dict[str, list[tuple[tuple, Outcome]]] = {}
        by_uncovered: dict[tuple, list[RowExpectation]] = {}
        for exp in suite.expectations:
            pieces[exp.name] = _cover(stored.get(hashes[exp.name], []), present)
            covered = {lid for loads, _ in pieces[exp.name] for lid in loads}
            uncovered = tuple(lid for lid in present if lid not in covered)
            if uncovered:
                by_uncovered.setdefault(uncovered, []).append(exp)
        validated: set[int | None] = set()
        checked_at = datetime.now(UTC)
        for uncovered, exps in by_uncovered.items():
            for chunk in _chunks(uncovered, present):
                label, fingerprint, where = _unit(chunk, present, superseded)
                fresh = validate_rows(conn, suite, exps, references, where, acknowledged)
                validated |= set(chunk)
                for exp in exps:
                    pieces[exp.name].append((tuple(chunk), fresh[exp.name]))
                pending.rows += [
                    (suite.relation, name, hashes[name], label, fingerprint, str(o.status), o.element_count,
                     o.missing_count, o.unexpected_count, json.dumps(list(o.sample_keys)), checked_at)
                    for name, o in fresh.items()
                    if o.status is not Status.ERROR
                ]  # fmt: skip
    finally:
        conn.unregister(superseded)

    def load_order(piece: tuple[tuple, Outcome]) -> tuple[bool, int]:
        first = piece[0][0]
        return (first is None, first or 0)

    ordered = {name: [o for _, o in sorted(ps, key=load_order)] for name, ps in pieces.items()}
    note = (
        f"{len(present)} load(s) in {suite.relation}: {len(validated)} validated now, "
        f"{len(present) - len(validated)} by earlier runs (current rows only: rows a later load of their key "
        "replaced are history, not judged)"
    )
    return ordered, note
