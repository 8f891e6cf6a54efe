"""Typing and row-level checks of mapped source rows against a contract table, as one SQL SELECT.

For each canonical column the mapped text is cast with `try_cast`/`try_strptime` (never raising), and a reason
is produced when a non-empty value fails to cast, a required value is missing, a value is outside the allowed set
or outside its numeric range. `_reason` is NULL for a good row, else the reasons joined with '; '.

Time stamps: text with an explicit offset (`+01:00`, `Z`) keeps its offset; naive text is read in the source's
declared time zone and converted to UTC. For a non-existent local time (inside a spring-forward gap) DuckDB/ICU
uses the offset before the change; for an ambiguous one (autumn fall-back) the later (standard-time) instant.
"""

from __future__ import annotations

from pipelines.ingest.adapter import ISO_FORMATS, Mapping, literal, quote
from pipelines.ingest.contract import Column

KINDS = {
    "TIMESTAMPTZ": "bad timestamp",
    "BOOLEAN": "not a boolean",
    "INTEGER": "not an integer",
    "BIGINT": "not an integer",
    "DOUBLE": "not a number",
}
OFFSET_PATTERN = r"\d[T ]?\d{1,2}:\d\d(:\d\d(\.\d*)?)?\s*(Z|z|UTC|[+-]\d\d(:?\d\d)?)$"


def typed_expression(column: Column, text: str, formats: tuple[str, ...], zone: str) -> str:
    if column.type == "VARCHAR":
        return text
    if column.type == "TIMESTAMPTZ":
        return timestamp_expression(text, formats, zone)
    return f"try_cast({text} AS {column.type})"


def timestamp_expression(text: str, formats: tuple[str, ...], zone: str) -> str:
    if not formats and zone == "UTC":
        # Fast path: the loader's session is UTC, so a naive cast already means UTC and offsets are honoured.
        return f"try_cast({text} AS TIMESTAMPTZ)"
    all_formats = ", ".join(literal(f) for f in (*formats, *ISO_FORMATS))
    naive = f"coalesce(try_strptime({text}, [{all_formats}]), try_cast({text} AS TIMESTAMP))"
    with_offset = f"try_cast(replace({text}, 'UTC', 'Z') AS TIMESTAMPTZ)"
    return (
        f"CASE WHEN regexp_matches({text}, {literal(OFFSET_PATTERN)}) THEN {with_offset} "
        f"ELSE timezone({literal(zone)}, {naive}) END"
    )


def check_expressions(column: Column, text: str, typed: str) -> list[tuple[str, str]]:
    """(condition, message) pairs: the condition is true when the value breaks a rule; the message names the
    column and the value."""
    name = column.name
    shown = f"'\"' || left({text}, 60) || '\"'"
    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{text} IS NULL", literal(f"{name}: required value missing")))
    if column.type != "VARCHAR" and not column.allowed:  # an allowed-set miss already says the value is wrong
        kind = KINDS.get(column.type, f"not a {column.type}")
        checks.append((f"({text} IS NOT NULL AND {typed} IS NULL)", f"{literal(f'{name}: {kind} ')} || {shown}"))
    if column.allowed:
        allowed = ", ".join(literal(v) for v in column.allowed)
        listed = literal(f" not in allowed set ({', '.join(column.allowed)})")
        checks.append(
            (
                f"({text} IS NOT NULL AND trim({text}) NOT IN ({allowed}))",
                f"{literal(f'{name}: value ')} || {shown} || {listed}",
            )
        )
    if column.min_value is not None:
        below = literal(f" below minimum {column.min_value:g}")
        checks.append(
            (f"coalesce({typed} < {column.min_value}, false)", f"{literal(f'{name}: ')} || {shown} || {below}")
        )
    if column.max_value is not None:
        above = literal(f" above maximum {column.max_value:g}")
        checks.append(
            (f"coalesce({typed} > {column.max_value}, false)", f"{literal(f'{name}: ')} || {shown} || {above}")
        )
    return checks


def checked_select(mapping: Mapping, source: str, raw_text: str, zone: str) -> str:
    """SELECT over `source` (VARCHAR source columns + `_row_number`) yielding typed canonical columns,
    `_row_number`, `_extra`, `_reason` and (only for failing rows) `_raw`.

    Three layers so each value is mapped once and the raw text is only built for failing rows.
    """
    table = mapping.table
    mapped = ", ".join(f"{mapping.columns[c.name]} AS {quote('__m_' + c.name)}" for c in table.columns)
    if mapping.extra_columns:
        pairs = ", ".join(f"{literal(name)}, {quote(name)}" for name in mapping.extra_columns)
        extra = f"json_object({pairs})"
    else:
        extra = "NULL::JSON"
    typed_cols = []
    reasons = []
    for column in table.columns:
        text = quote("__m_" + column.name)
        typed = typed_expression(column, text, mapping.timestamp_formats, zone)
        typed_cols.append(f"{typed} AS {quote('__t_' + column.name)}")
        reasons.extend(check_expressions(column, text, typed))
    if reasons:
        # The cheap boolean test runs on every row; the message text is only built for the failing ones.
        failed = " OR ".join(condition for condition, _ in reasons)
        messages = ", ".join(f"CASE WHEN {condition} THEN {message} END" for condition, message in reasons)
        reason = f"CASE WHEN {failed} THEN concat_ws('; ', {messages}) END"
    else:
        reason = "NULL::VARCHAR"
    outputs = ", ".join(f"{quote('__t_' + c.name)} AS {quote(c.name)}" for c in table.columns)
    # `_hash` of every value lets the loader find repeated rows with one cheap aggregate (see duplicates.py).
    hashed = ""
    if mapping.one_row_per_record:
        hashed = f", hash({', '.join(quote('__t_' + c.name) for c in table.columns)}, _extra) AS _hash"
    return f"""
SELECT _row_number, {outputs}, _extra, _reason{hashed},
       CASE WHEN _reason IS NOT NULL THEN {raw_text} END AS _raw
FROM (
    SELECT *, {", ".join(typed_cols)}, {reason} AS _reason
    FROM (SELECT *, {mapped}, {extra} AS _extra FROM {source}) AS mapped
) AS typed"""
