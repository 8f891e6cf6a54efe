"""Staging suites that validate only the rows of keys new raw loads touched, with the answer of a whole validation.

A staging view holds the latest row per key of one raw table (`TableSuite.keyed_on`), so its rows change only for
keys a new load of that table brings. Each rule of a staging suite judges one row at a time (in set of a
reference) or the rows of one key (the key unique), so its outcome is a sum over keys: per key, the rows it does
not judge (missing) and the rows it fails (unexpected). The keys with any of either are kept in dq.suite_keys
(most keys have none); the relation's row count and the raw load up to which all this is complete (the
watermark) in dq.keyed_state (check_state.py).

A run takes the keys of raw loads above the watermark, validates with GX (result format COMPLETE: every failing
row) just the view's rows of those keys, and replaces those keys' entries; the other keys keep theirs. The view is
evaluated once for that (its window runs over all of raw, then the rows are filtered), which also gives its row
count; a run with no new load does not evaluate it at all. The result is the whole validation's: counts add up,
the unexpected % is over the judged rows, the failing keys sample is the first keys in key order (the order a
view's rows come in is not stable, key order is). The per-key counts GX gives are checked against GX's own
totals for the frame (a mismatch is an error, never a silent pass).

Preconditions, checked each run (otherwise the whole view is validated, as units.py does for any relation): the
relation is a view (its SQL is part of the rule's hash), its key is one column, every rule is the key's
uniqueness or a single-column rule that ignores nulls (in set, in reference, between); the raw table's loads up to
the watermark are unchanged (their row counts are in the state's fingerprint); the rules, the reference values
they read and the GX / pandas versions are unchanged (units.spec_hash).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from data_quality.check_state import (
    SUITE_KEYS_TABLE,
    PendingWrites,
    loads_fingerprint,
    raw_loads,
    replace_keyed_state,
    stored_keyed_state,
    view_sql,
)
from data_quality.frames import column_types, load_arrow, quote, select_sql
from data_quality.gx_engine import SAMPLE_SIZE, Outcome, failing_rows
from data_quality.specs import Status, TableSuite

if TYPE_CHECKING:
    import pyarrow as pa

KEYED_VERSION = 1
NULL_IGNORING_KINDS = ("in_set", "in_reference", "between")  # GX leaves null values out of these rules' judgement


def key_text(column: str) -> str:
    """A key as SQL text the way the failing-key sample shows it (gx_engine.format_key): NULL as '<null>'."""
    return f"coalesce({quote(column)}::varchar, '<null>')"


def touched_rows_key(relation: str, watermark: int) -> str:
    """Where a keyed suite leaves, in `pulled`, the rows of `relation` whose keys loads after `watermark` touched."""
    return f"{relation}#touched>{watermark}"


def keyed(conn: duckdb.DuckDBPyConnection, suite: TableSuite) -> bool:
    """Whether the suite can be validated per key (the preconditions above that do not depend on state)."""
    if suite.keyed_on is None or len(suite.key_columns) != 1 or view_sql(conn, suite.relation) is None:
        return False
    for exp in suite.expectations:
        key_unique = exp.kind == "unique" and exp.engine == "sql" and exp.columns == suite.key_columns
        row_rule = exp.kind in NULL_IGNORING_KINDS and exp.engine == "great_expectations" and len(exp.columns) == 1
        if not (key_unique or row_rule):
            return False
    return True


@dataclass(frozen=True)
class _KeyedRun:
    """What validating one keyed suite in this run works with, whichever way (in full or per touched key)."""

    conn: duckdb.DuckDBPyConnection
    suite: TableSuite
    reference_values: dict[str, list[object]]
    pulled: dict[str, pa.Table] | None
    pending: PendingWrites
    rule: str  # hash of the rules, reference, view and versions the per-key entries were validated under
    loads: dict[int | None, int]  # raw load id -> row count
    watermark: int | None  # the newest raw load: the per-key entries are complete up to it after this run


def run_keyed_suite(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    hashes: dict[str, str],
    reference_values: dict[str, list[object]],
    reuse: bool,
    pulled: dict[str, pa.Table] | None,
    pending: PendingWrites,
) -> tuple[dict[str, list[Outcome]], str]:
    """The outcome of every rule of a keyed suite over the whole relation, and a note on what was validated."""
    rule = hashlib.sha256(
        repr((KEYED_VERSION, sorted(hashes.items()), suite.keyed_on, view_sql(conn, suite.relation))).encode()
    ).hexdigest()[:20]
    loads = raw_loads(conn, suite.keyed_on or "")
    watermark = max((lid for lid in loads if lid is not None), default=None)
    run = _KeyedRun(conn, suite, reference_values, pulled, pending, rule, loads, watermark)
    state = stored_keyed_state(conn, suite.name) if reuse else None
    why = "no per-key state yet" if reuse else "full re-check asked"
    if state is not None:
        old_rule, old_watermark, old_fingerprint, old_rows = state
        if old_rule != rule:
            why = "a rule, the reference or the view's definition changed"
        elif old_watermark is None or old_rows is None:
            why = "no raw load had arrived when the keys were last validated"
        elif loads_fingerprint(loads, old_watermark) != old_fingerprint:
            why = f"raw loads up to {old_watermark} changed since the keys were validated"
        else:
            return _incremental(run, old_watermark, old_rows)
    return _full(run, why)


def _per_key(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    rows: pa.Table,
    reference_values: dict[str, list[object]],
) -> tuple[dict[str, pa.Table], dict[str, str]]:
    """Per rule, the keys of `rows` with rows the rule does not judge or fails: a table (k, missing, unexpected);
    and the rules that errored, with why. GX finds the failing rows; DuckDB groups them by key."""
    import numpy as np
    import pyarrow as pa

    (key,) = suite.key_columns
    frame = rows.to_pandas()  # a RangeIndex: GX's failing row indexes are row positions in `rows`
    numbered = rows.append_column("_dq_row", pa.array(np.arange(rows.num_rows, dtype=np.int64)))
    name = f"dq_keyed_rows_{id(numbered)}"
    conn.register(name, numbered)
    per_rule: dict[str, pa.Table] = {}
    errors: dict[str, str] = {}
    try:
        gx_rules = [e for e in suite.expectations if e.engine == "great_expectations"]
        found = failing_rows(suite, gx_rules, frame, reference_values) if gx_rules else {}
        for exp in suite.expectations:
            if exp.engine == "great_expectations":
                outcome, failing = found[exp.name]
                if outcome.status is Status.ERROR:
                    errors[exp.name] = outcome.message
                    continue
                failing_name = f"dq_failing_{id(failing)}"
                conn.register(failing_name, pa.table({"_dq_row": pa.array(failing, pa.int64())}))
                column = quote(exp.columns[0])
                try:
                    table = conn.sql(
                        f"""select {key_text(key)} as k, count(*) filter (where r.{column} is null) as missing,
                                   count(f._dq_row) as unexpected
                            from {name} r left join {failing_name} f using (_dq_row)
                            where r.{column} is null or f._dq_row is not null
                            group by all"""
                    ).to_arrow_table()
                finally:
                    conn.unregister(failing_name)
                # GX's own totals for the frame must be what the per-key counts add up to
                counted = (sum(table.column("unexpected").to_pylist()), sum(table.column("missing").to_pylist()))
                if counted != (outcome.unexpected_count, outcome.missing_count):
                    errors[exp.name] = (
                        f"per-key counts ({counted[0]} unexpected, {counted[1]} missing) differ from GX's "
                        f"({outcome.unexpected_count}, {outcome.missing_count})"
                    )
                    continue
            else:
                table = _repeated_keys(conn, name, key)
            per_rule[exp.name] = table
    finally:
        conn.unregister(name)
    return per_rule, errors


def _repeated_keys(conn: duckdb.DuckDBPyConnection, rows: str, key: str) -> pa.Table:
    """The key unique, per key of `rows` (k, missing, unexpected): every row of a repeated key is unexpected, rows
    with no key are not judged (missing).

    Only rows that can be in such a group are grouped: those with no key, and those whose key text shares its
    64-bit hash with another row (equal keys always do; a collision only adds a group that the HAVING drops). Their
    hashes are found by sorting them with numpy: 0.03 CPU-s for the 1M keys of staging tickets, where grouping every
    key took 0.12 s (as sql_rows does for raw loads)."""
    import numpy as np
    import pyarrow as pa

    hashes = np.sort(np.asarray(conn.sql(f"select hash({key_text(key)}) as h from {rows}").fetchnumpy()["h"]))
    repeated = pa.table({"h": np.unique(hashes[1:][hashes[1:] == hashes[:-1]])})
    name = f"dq_repeated_{id(repeated)}"
    conn.register(name, repeated)
    try:
        return conn.sql(
            f"""select {key_text(key)} as k,
                       case when bool_or({quote(key)} is null) then count(*) else 0 end as missing,
                       case when bool_or({quote(key)} is null) then 0 else count(*) end as unexpected
                from {rows}
                where {quote(key)} is null or hash({key_text(key)}) in (select h from {name})
                group by all having count(*) > 1 or bool_or({quote(key)} is null)"""
        ).to_arrow_table()
    finally:
        conn.unregister(name)


def _outcomes(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    rows: int,
    per_rule_sql: dict[str, str],
    errors: dict[str, str],
) -> dict[str, list[Outcome]]:
    """One outcome per rule from its per-key entries (`per_rule_sql`: a relation of k, missing, unexpected)."""
    outcomes: dict[str, list[Outcome]] = {}
    for exp in suite.expectations:
        if exp.name in errors:
            outcomes[exp.name] = [Outcome(Status.ERROR, message=errors[exp.name])]
            continue
        missing, unexpected, sample = conn.execute(
            f"""select coalesce(sum(missing), 0), coalesce(sum(unexpected), 0),
                       list_slice(list(k order by k) filter (where unexpected > 0), 1, {SAMPLE_SIZE})
                from {per_rule_sql[exp.name]}"""
        ).fetchall()[0]
        status = Status.FAILED if unexpected else Status.PASSED
        outcomes[exp.name] = [Outcome(status, rows, int(missing), int(unexpected), tuple(sample or ()))]
    return outcomes


def _registered(conn: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> dict[str, str]:
    names = {}
    for rule, table in tables.items():
        names[rule] = f"dq_suite_keys_{id(table)}"
        conn.register(names[rule], table)
    return names


def _full(run: _KeyedRun, why: str) -> tuple[dict[str, list[Outcome]], str]:
    conn, suite = run.conn, run.suite
    rows = load_arrow(conn, suite, every_column=True)
    if run.pulled is not None:
        run.pulled[suite.relation] = rows  # the reconciliations of the same run read these rows
    per_rule, errors = _per_key(conn, suite, rows, run.reference_values)
    names = _registered(conn, per_rule)
    try:
        outcomes = _outcomes(conn, suite, rows.num_rows, names, errors)
    finally:
        for name in names.values():
            conn.unregister(name)
    if not errors:
        _store(run, rows.num_rows, per_rule, None)
    return outcomes, f"every row validated now ({why})"


def _incremental(run: _KeyedRun, old_watermark: int, old_rows: int) -> tuple[dict[str, list[Outcome]], str]:
    conn, suite = run.conn, run.suite
    (key,) = suite.key_columns
    touched = conn.sql(
        f"select distinct {key_text(key)} as k from {suite.keyed_on} where _load_id > $1", params=[old_watermark]
    ).to_arrow_table()
    relation_rows, fresh, errors = old_rows, {}, {}
    registered: list[str] = []
    if touched.num_rows:
        touched_name = f"dq_touched_{id(touched)}"
        conn.register(touched_name, touched)
        registered.append(touched_name)
        # one evaluation of the view: its row count (a window over every row, before the filter) and the rows of
        # the touched keys
        select = select_sql(suite, column_types(conn, suite.relation), every_column=True)
        rows = conn.sql(
            f"""select * from (select *, count(*) over () as _dq_relation_rows from ({select}))
                semi join {touched_name} t on t.k = {key_text(key)}"""
        ).to_arrow_table()
        if rows.num_rows:
            relation_rows = rows.column("_dq_relation_rows")[0].as_py()
        else:  # every touched key left the view: count it
            relation_rows = conn.execute(f"select count(*) from {suite.relation}").fetchall()[0][0]
        rows = rows.drop_columns(["_dq_relation_rows"])
        if run.pulled is not None:  # the reconciliations of this run compare the same keys: they read these rows
            run.pulled[touched_rows_key(suite.relation, old_watermark)] = rows
        fresh, errors = _per_key(conn, suite, rows, run.reference_values)
    names = _registered(conn, fresh)
    registered += names.values()
    try:
        untouched = f"anti join {registered[0]} t on t.k = s.k" if touched.num_rows else ""
        kept_keys = {}
        for exp in suite.expectations:
            fresh_keys = f"union all select k, missing, unexpected from {names[exp.name]}" if exp.name in names else ""
            kept_keys[exp.name] = f"""(select k, missing, unexpected from {SUITE_KEYS_TABLE} s {untouched}
                                       where check_name = '{exp.name.replace("'", "''")}' {fresh_keys})"""
        outcomes = _outcomes(conn, suite, relation_rows, kept_keys, errors)
    finally:
        for name in registered:
            conn.unregister(name)
    if not errors and (touched.num_rows or run.watermark != old_watermark):
        _store(run, relation_rows, fresh, touched)
    if errors:
        return outcomes, "validation errors: the keys are validated again next run"
    return outcomes, (
        f"rows of {touched.num_rows} key(s) of loads after {old_watermark} validated now, the others by earlier runs"
    )


def _store(run: _KeyedRun, relation_rows: int, per_rule: dict[str, pa.Table], touched: pa.Table | None) -> None:
    """Queue the suite's new per-key entries: all of them (touched None) or those of the touched keys."""
    suite = run.suite
    fingerprint = loads_fingerprint(run.loads, run.watermark)
    checked_at = datetime.now(UTC)
    rules = [e.name for e in suite.expectations]

    def write(conn: duckdb.DuckDBPyConnection) -> None:
        if touched is None:
            conn.execute(f"delete from {SUITE_KEYS_TABLE} where check_name in (select unnest(?::varchar[]))", [rules])
        else:
            name = f"dq_touched_{id(touched)}"
            conn.register(name, touched)
            try:
                conn.execute(
                    f"""delete from {SUITE_KEYS_TABLE} where rowid in (
                            select s.rowid from {SUITE_KEYS_TABLE} s semi join {name} t on t.k = s.k
                            where s.check_name in (select unnest(?::varchar[])))""",
                    [rules],
                )
            finally:
                conn.unregister(name)
        for rule_name, table in per_rule.items():
            name = f"dq_suite_keys_{id(table)}"
            conn.register(name, table)
            try:
                conn.execute(
                    f"""insert into {SUITE_KEYS_TABLE} select ?, k, missing, unexpected from {name}
                        where missing > 0 or unexpected > 0""",
                    [rule_name],
                )
            finally:
                conn.unregister(name)
        replace_keyed_state(conn, suite.name, run.rule, run.watermark, fingerprint, relation_rows, checked_at)

    run.pending.ledger_writes.append(write)
