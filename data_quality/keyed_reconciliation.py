"""Layer reconciliations that re-read only the keys new raw loads touched, with the same answer as a full compare.

A reconciliation's answer is a sum over keys: per key, whether the source keeps it, how many source rows and how
many target rows hold it (sql_checks.per_key_sql); missing, phantom and duplicated keys, the totals and the samples
(the first keys in key order) all follow from that per-key table (sql_checks.summary_sql). The per-key table of
the last finished check is kept in dq.reconciliation_keys (the ledger), with the highest raw load it has seen in
dq.keyed_state (the watermark, see check_state.py).

The rule: with `keyed_on = "raw.<table>"`, the rows of either side for a key change only when a new load of that
raw table brings the key. A run then takes the keys of loads above the watermark (the touched keys), compares
just those keys on both sides, and replaces their ledger rows; every other key keeps its ledger row. Nothing is
taken on trust that the run can check cheaply:
- raw is append-only: the row count of every load up to the watermark is part of the state's fingerprint; a load
  changed, removed or added below the watermark means a full compare;
- a view side (staging) is fingerprinted by its SQL definition (part of the rule's hash); it must read only the
  keyed raw table, per key (the staging models are the latest row per key);
- a table side other than the keyed raw table (a mart, built by dbt's incremental models) is verified whole on
  every run: its row count and the sum of its keys' hashes must equal what the ledger says, which catches a key
  lost, duplicated or added outside the touched keys by a faulty incremental build; a mismatch means a full
  compare (and the full compare reports the fault).
A full compare (first run, ITSM_FULL_REFRESH, a changed rule or definition, a failed verification) computes every
key and rewrites the ledger. The ledger is written with the other state when the check step finishes.

Exceptions only: when the source is the keyed raw table itself (no filter) and the target a view (raw -> staging),
the ledger keeps only the keys that are not plain (a plain key is in the source, kept, once in the target: almost
every key), and the number of plain keys (dq.keyed_state.relation_rows). A plain key's part of the answer is known
without its row: one kept source key, one target key, one target row. What a touched key was before the run is
read back from raw, which is append-only: listed in the ledger, else plain when raw held rows of it up to the
watermark, else absent. The answer is the same; the full compare writes a few rows instead of one per key (1M
ticket keys: 0.24 CPU-s), and an incremental run reads those few instead of the whole ledger.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from data_quality.check_state import (
    RECON_KEYS_COLUMNS,
    RECON_KEYS_TABLE,
    PendingWrites,
    loads_fingerprint,
    raw_loads,
    replace_keyed_state,
    stored_keyed_state,
    view_sql,
)
from data_quality.frames import quote
from data_quality.keyed_suite import touched_rows_key
from data_quality.specs import CheckResult, LayerReconciliation
from data_quality.sql_checks import (
    check_layers,
    layers_filter,
    layers_precondition,
    layers_result,
    per_key_sql,
    pulled_or,
    summary_sql,
)

if TYPE_CHECKING:
    import pyarrow as pa

# Bump when the ledger's meaning changes: stored ledgers then expire (one full compare).
LEDGER_VERSION = 2  # 2: exceptions-only ledgers

# A key both sides agree on, over a per-key relation (sql_checks.per_key_sql's columns): in the source and kept, once
# in the target. An exceptions-only ledger leaves these out and counts them.
PLAIN_KEY = "k is not null and kept and n_source > 0 and n = 1"


def exceptions_only(spec: LayerReconciliation, views: dict[str, str | None]) -> bool:
    """Whether the ledger keeps only the keys that are not plain (module doc): the source is the keyed raw table,
    unfiltered (a touched key's earlier source rows are raw's rows of it up to the watermark), and the target is a
    view (nothing to verify whole, so no per-key hash totals are needed)."""
    return spec.source == spec.keyed_on and spec.source_filter is None and views[spec.target] is not None


@dataclass(frozen=True)
class _ReconRun:
    """What one reconciliation compares with in this run, whichever way (every key, or the touched keys)."""

    conn: duckdb.DuckDBPyConnection
    spec: LayerReconciliation
    pulled: dict[str, pa.Table]
    pending: PendingWrites
    rule: str  # hash of the rule and the sides' definitions the ledger was computed under
    loads: dict[int | None, int]  # raw load id -> row count of the keyed raw table
    watermark: int | None  # the newest raw load: the ledger is complete up to it after this run


def check_reconciliation(
    conn: duckdb.DuckDBPyConnection,
    spec: LayerReconciliation,
    pulled: dict[str, pa.Table] | None = None,
    reuse: bool = True,
    pending: PendingWrites | None = None,
) -> CheckResult:
    """The reconciliation's result over every key, re-reading only touched keys when the ledger allows it.

    The new ledger goes to `pending` (stored when the step is done) or is stored at once without one."""
    if spec.keyed_on is None:
        return check_layers(conn, spec, pulled)
    not_run = layers_precondition(conn, spec)
    if not_run is not None:
        return not_run
    own = pending if pending is not None else PendingWrites()
    pulled = {} if pulled is None else pulled
    views = {relation: view_sql(conn, relation) for relation in (spec.source, spec.target)}
    rule = _rule_hash(conn, spec, views)
    loads = raw_loads(conn, spec.keyed_on)
    watermark = max((lid for lid in loads if lid is not None), default=None)
    run = _ReconRun(conn, spec, pulled, own, rule, loads, watermark)
    state = stored_keyed_state(conn, spec.name) if reuse else None
    result, why_full = None, "no ledger yet" if reuse else "full re-check asked"
    sparse = exceptions_only(spec, views)
    if state is not None:
        old_rule, old_watermark, old_fingerprint, old_plain = state
        if old_rule != rule:
            why_full = "the rule or a side's definition changed"
        elif old_watermark is None:
            why_full = "no raw load had arrived when the ledger was written"
        elif loads_fingerprint(loads, old_watermark) != old_fingerprint:
            why_full = f"raw loads up to {old_watermark} changed since the ledger was written"
        elif sparse and old_plain is None:
            why_full = "the ledger has no count of plain keys"
        elif sparse:
            result = _incremental_exceptions(run, old_watermark, old_plain)
        else:
            result = _incremental(run, old_watermark, views)
            why_full = "a table side changed outside the touched keys"
    if result is None:
        result = _full(run, why_full, sparse)
    if pending is None:
        own.commit(conn)
    return result


# --- the state and its fingerprint ------------------------------------------------------------------------------


def _rule_hash(conn: duckdb.DuckDBPyConnection, spec: LayerReconciliation, views: dict[str, str | None]) -> str:
    """What the ledger depends on besides the rows: the reconciliation, and the definition of each view side."""
    payload = (
        LEDGER_VERSION,
        spec.source,
        spec.target,
        spec.key,
        spec.source_filter,
        spec.keyed_on,
        layers_filter(conn, spec)[1],  # whether the target is filtered too
        views[spec.source],
        views[spec.target],
    )
    return hashlib.sha256(repr(payload).encode()).hexdigest()[:20]


def _store(run: _ReconRun, per_key: pa.Table, touched: pa.Table | None, plain: int | None = None) -> None:
    """Queue the new ledger: every key (touched None) or the touched keys' rows replaced. With `plain` (the number of
    plain keys) the ledger is exceptions-only: the plain keys of `per_key` are left out."""
    spec = run.spec
    fingerprint = loads_fingerprint(run.loads, run.watermark)
    checked_at = datetime.now(UTC)
    only_exceptions = f"where not ({PLAIN_KEY})" if plain is not None else ""

    def write(conn: duckdb.DuckDBPyConnection) -> None:
        name = f"dq_ledger_{id(per_key)}"
        conn.register(name, per_key)
        try:
            if touched is None:
                conn.execute(f"delete from {RECON_KEYS_TABLE} where check_name = ?", [spec.name])
            else:
                conn.register(f"{name}_touched", touched)
                conn.execute(
                    f"""delete from {RECON_KEYS_TABLE} where check_name = ? and rowid in (
                            select l.rowid from {RECON_KEYS_TABLE} l
                            semi join {name}_touched t on t.k is not distinct from l.k
                            where l.check_name = ?)""",
                    [spec.name, spec.name],
                )
                conn.unregister(f"{name}_touched")
            cols = ", ".join(c for c, _ in RECON_KEYS_COLUMNS[1:])
            conn.execute(f"insert into {RECON_KEYS_TABLE} select ?, {cols} from {name} {only_exceptions}", [spec.name])
        finally:
            conn.unregister(name)
        replace_keyed_state(conn, spec.name, run.rule, run.watermark, fingerprint, plain, checked_at)

    run.pending.ledger_writes.append(write)


# --- full and incremental compares ------------------------------------------------------------------------------


def _sides(
    conn: duckdb.DuckDBPyConnection,
    spec: LayerReconciliation,
    pulled: dict[str, pa.Table],
    registered: list[str],
) -> tuple[str, str, str, str, list[object]]:
    kept, target_where, params, filter_column = layers_filter(conn, spec)
    source = pulled_or(conn, pulled, spec.source, [spec.key, *filter_column], registered)
    target = pulled_or(conn, pulled, spec.target, [spec.key, *(filter_column if target_where else [])], registered)
    return source, target, kept, target_where, params


def _full(run: _ReconRun, why: str, sparse: bool = False) -> CheckResult:
    conn, spec = run.conn, run.spec
    registered: list[str] = []
    try:
        source, target, kept, target_where, params = _sides(conn, spec, run.pulled, registered)
        key = f"{quote(spec.key)}::varchar"
        per_key = conn.sql(per_key_sql(source, target, key, kept, target_where), params=params or None).to_arrow_table()
    finally:
        for name in registered:
            conn.unregister(name)
    summary = _summary(conn, per_key)
    plain = summary[9] if sparse else None
    _store(run, per_key, None, plain)
    return layers_result(spec, summary, f"every key compared ({why})")


def _summary(conn: duckdb.DuckDBPyConnection, per_key: pa.Table) -> tuple:
    """summary_sql's row over `per_key`, with the number of plain keys after it."""
    name = f"dq_per_key_{id(per_key)}"
    conn.register(name, per_key)
    try:
        return conn.execute(summary_sql(name, f", count(*) filter (where {PLAIN_KEY})")).fetchall()[0]
    finally:
        conn.unregister(name)


def _touched_rows(
    conn: duckdb.DuckDBPyConnection,
    relation: str,
    columns: Sequence[str],
    touched: str,
    watermark: int,
    key: str,
    pulled: dict[str, pa.Table],
    registered: list[str],
    is_view: bool,
) -> str:
    """The rows of `relation` whose key was touched, as a name to query: those a keyed suite left in `pulled` for
    the same keys, else from the whole relation's rows a suite pulled, else read (a view is evaluated whole to be
    filtered: its touched rows are kept in `pulled` for the next reconciliation reading it)."""
    cached = pulled.get(touched_rows_key(relation, watermark))
    if cached is None or not set(columns) <= set(cached.column_names):
        base = pulled_or(conn, pulled, relation, list(columns), registered)
        cols = ", ".join(quote(c) for c in columns)
        # a semi / anti join on IS NOT DISTINCT FROM (NULL keys match NULL keys) runs as a hash join; the same test
        # in a correlated EXISTS is 4x slower on a 1M-row side
        same_key = f"t.k is not distinct from r.{quote(key)}::varchar"
        select = f"select {cols} from {base} r semi join {touched} t on {same_key}"
        if base != relation or not is_view:
            return f"({select})"
        cached = pulled[touched_rows_key(relation, watermark)] = conn.sql(select).to_arrow_table()
    name = f"dq_touched_{len(registered)}_{id(cached)}"
    conn.register(name, cached)
    registered.append(name)
    return name


def _incremental(run: _ReconRun, old_watermark: int, views: dict[str, str | None]) -> CheckResult | None:
    """The result from the ledger with the touched keys compared again; None when a table side does not match the
    ledger outside the touched keys (the caller then compares every key)."""
    conn, spec, pulled = run.conn, run.spec, run.pulled
    key = quote(spec.key)
    touched = conn.sql(
        f"select distinct {key}::varchar as k from {spec.keyed_on} where _load_id > $1", params=[old_watermark]
    ).to_arrow_table()
    kept, target_where, params, filter_column = layers_filter(conn, spec)
    touched_name = f"dq_touched_keys_{id(touched)}"
    conn.register(touched_name, touched)
    registered: list[str] = [touched_name]
    try:
        if touched.num_rows:
            source_columns = [spec.key, *filter_column]
            source = _touched_rows(
                conn, spec.source, source_columns, touched_name, old_watermark, spec.key, pulled, registered,
                views[spec.source] is not None,
            )  # fmt: skip
            target_columns = [spec.key, *(filter_column if target_where else [])]
            target = _touched_rows(
                conn, spec.target, target_columns, touched_name, old_watermark, spec.key, pulled, registered,
                views[spec.target] is not None,
            )  # fmt: skip
            fresh_sql, fresh_params = per_key_sql(source, target, f"{key}::varchar", kept, target_where), params
        else:  # nothing new: no side is read (a staging view would be evaluated whole for nothing)
            fresh_sql, fresh_params = f"select k, kept, n_source, n from {RECON_KEYS_TABLE} limit 0", []
        fresh = conn.sql(fresh_sql, params=fresh_params or None).to_arrow_table()
        fresh_name = f"dq_fresh_{id(fresh)}"
        conn.register(fresh_name, fresh)
        registered.append(fresh_name)
        per_key = f"""(select k, kept, n_source, n
                       from {RECON_KEYS_TABLE} l anti join {touched_name} t on t.k is not distinct from l.k
                       where check_name = '{spec.name.replace("'", "''")}'
                       union all
                       select k, kept, n_source, n from {fresh_name})"""
        # the ledger's key totals per side ride along the summary: one pass over the ledger
        sides = ", sum(n_source), sum(n_source::hugeint * hash(k)::hugeint), sum(n), sum(n::hugeint * hash(k)::hugeint)"
        summary = conn.execute(summary_sql(per_key, sides)).fetchall()[0]
        if not _tables_match_ledger(conn, spec, summary[9:], target_where, params, views):
            return None
    finally:
        for name in registered:
            conn.unregister(name)
    if touched.num_rows or run.watermark != old_watermark:  # nothing new: the stored ledger is still the one
        _store(run, fresh, touched)
    note = f"{touched.num_rows} key(s) of loads after {old_watermark} compared now, the others kept from earlier runs"
    return layers_result(spec, summary, note)


def _incremental_exceptions(run: _ReconRun, old_watermark: int, old_plain: int) -> CheckResult:
    """The result from an exceptions-only ledger (module doc): the touched keys compared again, the untouched
    exceptions read from the ledger, the untouched plain keys counted (the plain count less the touched keys that
    were plain)."""
    conn, spec, pulled = run.conn, run.spec, run.pulled
    key = quote(spec.key)
    touched = conn.sql(
        f"select distinct {key}::varchar as k from {spec.keyed_on} where _load_id > $1", params=[old_watermark]
    ).to_arrow_table()
    registered: list[str] = []
    try:
        touched_name = _register(conn, touched, registered)
        if touched.num_rows:
            fresh, was_plain = _touched_exceptions(conn, spec, pulled, touched_name, old_watermark, registered)
        else:  # nothing new: no side is read (a staging view would be evaluated whole for nothing)
            fresh = conn.sql(f"select k, kept, n_source, n from {RECON_KEYS_TABLE} limit 0").to_arrow_table()
            was_plain = 0
        fresh_name = _register(conn, fresh, registered)
        # the ledger holds no plain key: the plain keys counted here are the touched keys that are plain now
        per_key = f"""(select k, kept, n_source, n
                       from {RECON_KEYS_TABLE} l anti join {touched_name} t on t.k is not distinct from l.k
                       where check_name = '{spec.name.replace("'", "''")}'
                       union all
                       select k, kept, n_source, n from {fresh_name})"""
        summary = conn.execute(summary_sql(per_key, f", count(*) filter (where {PLAIN_KEY})")).fetchall()[0]
    finally:
        for name in registered:
            conn.unregister(name)
    untouched_plain = old_plain - was_plain
    # each untouched plain key: a kept source key (n_src), a target key (distinct) and one target row
    missing, phantom, duplicated, n_src, n_tgt_distinct, n_tgt_rows, *samples = summary[:9]
    counts = (n_src + untouched_plain, n_tgt_distinct + untouched_plain, n_tgt_rows + untouched_plain)
    if touched.num_rows or run.watermark != old_watermark:  # nothing new: the stored ledger is still the one
        _store(run, fresh, touched, untouched_plain + summary[9])
    note = f"{touched.num_rows} key(s) of loads after {old_watermark} compared now, the others kept from earlier runs"
    return layers_result(spec, (missing, phantom, duplicated, *counts, *samples), note)


def _touched_exceptions(
    conn: duckdb.DuckDBPyConnection,
    spec: LayerReconciliation,
    pulled: dict[str, pa.Table],
    touched: str,
    old_watermark: int,
    registered: list[str],
) -> tuple[pa.Table, int]:
    """The touched keys compared now (per-key rows), and how many of them were plain before this run: raw held
    rows of the key up to the watermark and the ledger does not list it."""
    key = quote(spec.key)
    # the source's rows of the touched keys with their load: this run's source side, and the earlier one
    source = conn.sql(
        f"""select {key}, _load_id from {spec.source} r
            semi join {touched} t on t.k is not distinct from r.{key}::varchar"""
    ).to_arrow_table()
    source_name = _register(conn, source, registered)
    target = _touched_rows(conn, spec.target, [spec.key], touched, old_watermark, spec.key, pulled, registered, True)
    fresh = conn.sql(per_key_sql(source_name, target, f"{key}::varchar")).to_arrow_table()
    ((was_plain,),) = conn.execute(
        f"""select count(*)
            from (select distinct {key}::varchar as k from {source_name}
                  where {key} is not null and (_load_id <= $1 or _load_id is null)) o
            anti join (select k from {RECON_KEYS_TABLE} where check_name = $2) l on l.k = o.k""",
        [old_watermark, spec.name],
    ).fetchall()
    return fresh, int(was_plain)


def _register(conn: duckdb.DuckDBPyConnection, table: pa.Table, registered: list[str]) -> str:
    name = f"dq_recon_{len(registered)}_{id(table)}"
    conn.register(name, table)
    registered.append(name)
    return name


def _tables_match_ledger(
    conn: duckdb.DuckDBPyConnection,
    spec: LayerReconciliation,
    ledger_sides: Sequence[object],
    target_where: str,
    params: list[object],
    views: dict[str, str | None],
) -> bool:
    """Every table side other than the keyed raw table holds exactly the keys the ledger says (rows and the sum of
    the keys' hashes, as exact integers): a key lost, repeated or added outside the touched keys shows here."""
    key = f"{quote(spec.key)}::varchar"
    source_rows, source_hash, target_rows, target_hash = (int(v or 0) for v in ledger_sides)
    for relation, expected, where in (
        (spec.source, (source_rows, source_hash), ""),
        (spec.target, (target_rows, target_hash), target_where),
    ):
        if relation == spec.keyed_on or views[relation] is not None:
            continue
        actual = conn.execute(
            f"select count(*), coalesce(sum(hash({key})::hugeint), 0) from {relation} {where}",
            params if where else [],
        ).fetchall()[0]
        if tuple(int(v) for v in actual) != expected:
            return False
    return True
