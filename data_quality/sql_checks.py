"""Aggregate checks run as SQL inside DuckDB: volume, freshness, load balance, quarantine and reconciliation.

Each returns a CheckResult; a relation that does not exist yet gives NOT_APPLICABLE (recorded, never a pass).
"""

from __future__ import annotations

import statistics
from datetime import datetime

import duckdb

from data_quality.frames import column_types, quote
from data_quality.specs import AggregateCheck as Check
from data_quality.specs import (
    CheckResult,
    FreshnessCheck,
    LayerReconciliation,
    LoadBalanceCheck,
    QuarantineCheck,
    Severity,
    Status,
    VolumeCheck,
    not_applicable,
)

SAMPLE_SIZE = 10


def relation_exists(conn: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """A table or a view: either has at least one column."""
    return bool(column_types(conn, relation))


def _not_applicable(name: str, asset: str, severity: Severity, check_type: str, why: str) -> CheckResult:
    return not_applicable(name, asset, severity, check_type, "sql", why)


def _result(
    spec: Check, asset: str, kind: str, ok: bool, observed: float | None, failing: int, sample: list[str], details: str
) -> CheckResult:
    """A passed or failed result of an aggregate check."""
    status = Status.PASSED if ok else Status.FAILED
    return CheckResult(spec.name, asset, spec.severity, status, observed, failing, sample, kind, "sql", details)


def check_volume(conn: duckdb.DuckDBPyConnection, spec: VolumeCheck) -> CheckResult:
    """Rows the latest load wrote to raw.<table> (counted there by _load_id: what actually landed), against the
    median of the loads before it (loads of raw.load_log with status 'loaded')."""
    relation = f"raw.{spec.table}"
    if not relation_exists(conn, relation) or not relation_exists(conn, "raw.load_log"):
        return _not_applicable(spec.name, relation, spec.severity, "volume", f"{relation} or raw.load_log missing")
    rows = conn.execute(
        f"""with per_load as (
                select _load_id as load_id, count(*) as n from {relation} group by _load_id
            )
            select l.load_id, p.n
            from raw.load_log l join per_load p using (load_id)
            where l.status = 'loaded'
            order by l.load_id desc
            limit {int(spec.trailing_loads) + 1}"""
    ).fetchall()
    if len(rows) < spec.min_history + 1:
        why = f"{len(rows)} load(s) fed {relation}; a band needs the latest plus {spec.min_history} earlier"
        return _not_applicable(spec.name, relation, spec.severity, "volume", why)
    (latest_id, latest_n), history = rows[0], [n for _, n in rows[1:]]
    median = statistics.median(history)
    low, high = spec.low_ratio * median, spec.high_ratio * median
    ok = low <= latest_n <= high
    details = (
        f"load {latest_id} wrote {latest_n} rows; band [{low:g}, {high:g}] = "
        f"[{spec.low_ratio:g}, {spec.high_ratio:g}] x median {median:g} of {len(history)} earlier loads"
    )
    sample = [] if ok else [f"load {latest_id}"]
    return _result(spec, relation, "volume", ok, float(latest_n), 0 if ok else int(latest_n), sample, details)


def export_instant(conn: duckdb.DuckDBPyConnection) -> datetime | None:
    """The run's "now": the latest export instant (raw.load_log.exported_at) of the loads with status 'loaded',
    as the dbt models read it (int_sla_as_of); None when no load recorded one."""
    if "exported_at" not in column_types(conn, "raw.load_log"):
        return None
    return conn.execute("select max(exported_at) from raw.load_log where status = 'loaded'").fetchone()[0]


def check_freshness(conn: duckdb.DuckDBPyConnection, spec: FreshnessCheck, as_of: datetime) -> CheckResult:
    """Age in hours of the newest `column` value at the export instant of the loaded files (the run's "now"; `as_of`
    when no load recorded one). A newest value after that instant is a failure, never a negative age that passes."""
    if not relation_exists(conn, spec.relation):
        return _not_applicable(spec.name, spec.relation, spec.severity, "freshness", f"{spec.relation} missing")
    exported = export_instant(conn)
    at, at_label = (exported, "the export instant") if exported is not None else (as_of, "the check time")
    # The newest value comes back as text and its age is computed by DuckDB: a timestamp Python cannot hold (year
    # 10000, a BC date) is still a value to judge, never a reason for the check to raise.
    newest, age_hours = conn.execute(
        f"""select max({spec.column})::varchar,
                   epoch(cast($1 as timestamptz) - max({spec.column})) / 3600.0
            from {spec.relation}""",
        [at],
    ).fetchall()[0]
    if newest is None:
        details = f"{spec.relation} holds no {spec.column}: nothing loaded"
        return _result(spec, spec.relation, "freshness", False, None, 0, [], details)
    if age_hours < 0:
        details = (
            f"newest {spec.column} {newest} is {-age_hours:.1f} h after {at_label} "
            f"{at.isoformat()}: a timestamp from the future (observed_value = age in hours)"
        )
        return _result(spec, spec.relation, "freshness", False, round(float(age_hours), 3), 0, [], details)
    details = (
        f"newest {spec.column} {newest} is {age_hours:.1f} h old at {at_label} "
        f"{at.isoformat()}; limit {spec.max_age_hours:g} h (observed_value = age in hours)"
    )
    ok = age_hours <= spec.max_age_hours
    return _result(spec, spec.relation, "freshness", ok, round(float(age_hours), 3), 0, [], details)


def check_load_balance(conn: duckdb.DuckDBPyConnection, spec: LoadBalanceCheck) -> CheckResult:
    """Every load whose counts are recorded must account for each row read: loaded or quarantined."""
    asset = "raw.load_log"
    if not relation_exists(conn, asset):
        return _not_applicable(spec.name, asset, spec.severity, "reconciliation", "raw.load_log missing")
    total, bad = conn.execute(
        """select count(*),
                  count(*) filter (where rows_read is distinct from
                                   coalesce(rows_loaded, 0) + coalesce(rows_quarantined, 0))
           from raw.load_log where rows_read is not null"""
    ).fetchone()
    sample = conn.execute(
        f"""select load_id, source_file, rows_read, rows_loaded, rows_quarantined from raw.load_log
            where rows_read is not null
              and rows_read is distinct from coalesce(rows_loaded, 0) + coalesce(rows_quarantined, 0)
            order by load_id limit {SAMPLE_SIZE}"""
    ).fetchall()
    if total == 0:
        return _not_applicable(spec.name, asset, spec.severity, "reconciliation", "no load has recorded counts yet")
    keys = [f"load {lid} ({src}): read {r} != {lo} + {q}" for lid, src, r, lo, q in sample]
    details = f"{bad} of {total} loads where rows_read != rows_loaded + rows_quarantined"
    return _result(spec, asset, "reconciliation", bad == 0, float(bad), int(bad), keys, details)


def check_quarantine(conn: duckdb.DuckDBPyConnection, spec: QuarantineCheck) -> CheckResult:
    """Count of quarantined rows with a sample 'file:line reason' and the count per reason."""
    asset = "raw.quarantine"
    if not relation_exists(conn, asset):
        return _not_applicable(spec.name, asset, spec.severity, "quarantine", "raw.quarantine missing")
    (total,) = conn.execute("select count(*) from raw.quarantine").fetchone()
    sample = conn.execute(
        f"""select _source_file, line_number, reason from raw.quarantine
            order by _load_id desc, _source_file, line_number limit {SAMPLE_SIZE}"""
    ).fetchall()
    reasons = conn.execute(
        "select reason, count(*) as n from raw.quarantine group by reason order by n desc, reason limit 10"
    ).fetchall()
    breakdown = "; ".join(f"{n} x {reason}" for reason, n in reasons)
    keys = [f"{src.rsplit('/', 1)[-1]}:{line} {reason}" for src, line, reason in sample]
    details = f"{total} rows quarantined" + (f": {breakdown}" if breakdown else "")
    return _result(spec, asset, "quarantine", total == 0, float(total), int(total), keys, details)


def reconciliation_sql(source: str, target: str, key: str, kept: str = "true", target_where: str = "") -> str:
    """Missing, phantom and duplicated keys, totals and samples of a reconciliation, in one query over one grouping
    of both sides' keys. A source key is `kept` when any of its rows passes the documented filter; any source key
    explains a target key; a NULL key is never missing nor phantom (only in the totals, and as duplicated)."""
    missing = "kept and k is not null and n = 0"
    phantom = "k is not null and n > 0 and n_source = 0"
    return f"""
        with per_key as (
            select k, coalesce(bool_or(kept), false) as kept, count(*) filter (where side = 's') as n_source,
                   count(*) filter (where side = 't') as n
            from (select {key} as k, ({kept}) as kept, 's' as side from {source}
                  union all
                  select {key} as k, false as kept, 't' as side from {target} {target_where})
            group by k
        )
        select count(*) filter (where {missing}), count(*) filter (where {phantom}), count(*) filter (where n > 1),
               count(*) filter (where kept), count(*) filter (where k is not null and n > 0), coalesce(sum(n), 0),
               list_slice(list(k order by k) filter (where {missing}), 1, {SAMPLE_SIZE}),
               list_slice(list(k order by k) filter (where {phantom}), 1, {SAMPLE_SIZE}),
               list_slice(list(k order by k) filter (where n > 1), 1, {SAMPLE_SIZE})
        from per_key
    """


def _matching_sides(
    conn: duckdb.DuckDBPyConnection, source: str, target: str, key: str, kept: str, target_where: str, params: list
) -> tuple | None:
    """reconciliation_sql's row when the target holds each kept source key exactly once and nothing else, else
    None: each side's key count and sum of key hashes, cheaper than grouping both sides' keys together."""
    k = quote(key)
    n_src, n_src_null, src_hash = conn.execute(
        f"""select count(*), count(*) filter (where k is null), coalesce(sum(hash(k)::hugeint), 0)
            from (select {k} as k from {source} group by {k} having bool_or({kept}))""",
        params,
    ).fetchall()[0]
    n_rows, n_distinct, n_null, tgt_hash = conn.execute(
        f"""select count(*), count(distinct {k}), count(*) filter (where {k} is null),
                   coalesce(sum(hash({k})::hugeint), 0)
            from {target} {target_where}""",
        params if target_where else [],
    ).fetchall()[0]
    if n_src_null or n_null or not (n_src == n_distinct == n_rows) or src_hash != tgt_hash:
        return None
    return (0, 0, 0, n_src, n_distinct, n_rows, [], [], [])


def check_layers(
    conn: duckdb.DuckDBPyConnection, spec: LayerReconciliation, snapshots: dict[str, str] | None = None
) -> CheckResult:
    """Keys lost between layers, keys appearing from nowhere, grain broken in the target, totals, over every key
    (LayerReconciliation). A side in `snapshots` is read from its snapshot."""
    for relation in (spec.source, spec.target):
        if not relation_exists(conn, relation):
            why = f"{relation} does not exist (not built yet)"
            return _not_applicable(spec.name, spec.target, spec.severity, "reconciliation", why)
    target_columns = column_types(conn, spec.target)
    if spec.key not in target_columns:
        why = f"{spec.target} has no column {spec.key}"
        return CheckResult(
            spec.name, spec.target, spec.severity, Status.ERROR, None, None, [], "reconciliation", "sql", why
        )
    kept, target_where, params = "true", "", []
    if spec.source_filter:
        column, value = spec.source_filter
        kept, params = f"{column} = $1", [value]
        target_where = f"where {column} = $1" if column in target_columns else ""
    snapshots = snapshots or {}
    source, target = (snapshots.get(side, side) for side in (spec.source, spec.target))
    summary = _matching_sides(conn, source, target, spec.key, kept, target_where, params)
    if summary is None:  # something differs: every key compared, for the counts and samples of what
        summary = conn.execute(reconciliation_sql(source, target, spec.key, kept, target_where), params).fetchall()[0]
    missing, phantom, dup, n_src, n_tgt_distinct, n_tgt_rows, s_missing, s_phantom, s_dup = summary
    failing = missing + phantom + dup
    totals_match = n_src == n_tgt_distinct == n_tgt_rows
    sample = [f"missing:{k}" for k in s_missing or []] + [f"phantom:{k}" for k in s_phantom or []]
    sample += [f"duplicated:{k}" for k in s_dup or []]
    ok = failing == 0 and totals_match
    where = f" ({spec.source_filter[0]} = {spec.source_filter[1]!r})" if spec.source_filter else ""
    details = (
        f"{spec.source}{where}: {n_src} distinct {spec.key}; {spec.target}: {n_tgt_distinct} distinct in "
        f"{n_tgt_rows} rows; missing {missing}, phantom {phantom}, duplicated {dup}"
    )
    return _result(
        spec, spec.target, "reconciliation", ok, float(n_tgt_distinct), int(failing), sample[:SAMPLE_SIZE], details
    )
