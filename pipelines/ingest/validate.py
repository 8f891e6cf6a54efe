"""Typing and row-level checks of mapped source rows against a contract table, as one SQL SELECT.

For each canonical column the mapped text is cast with `try_cast`/`try_strptime` (never raising), and a reason
is produced when a non-empty value fails to cast, a required value is missing, a value is outside the allowed set
or outside its numeric range. `_reason` is NULL for a good row, else the reasons joined with '; '.

Plausible instants only: a timestamp before EARLIEST_PLAUSIBLE (1990-01-01), BC, read with a two-digit year
(`3/4/26` read by a four-digit-year format is year 0026), after the file's export instant (unless the column is a
plan, `future_ok`), or written with a UTC offset beyond +-14:00 (`+25:00`) fails its row with a reason naming the
column and the value. A format with `%y` (Jira's `25/Nov/26`) declares two-digit years and reads them as 20xx.

Time stamps: text with an explicit offset (`+01:00`, `Z`) keeps its offset; naive text is read in the source's
declared time zone and converted to UTC. For a non-existent local time (inside a spring-forward gap) DuckDB/ICU
uses the offset before the change; for an ambiguous one (autumn fall-back) the later (standard-time) instant.
"""

from __future__ import annotations

from datetime import datetime

from data_quality.contract import EARLIEST_PLAUSIBLE, Column
from pipelines.ingest.adapter import ISO_FORMATS, Mapping, literal, quote

KINDS = {
    "TIMESTAMPTZ": "bad timestamp",
    "BOOLEAN": "not a boolean",
    "INTEGER": "not an integer",
    "BIGINT": "not an integer",
    "DOUBLE": "not a number",
}
OFFSET_PATTERN = r"\d[T ]?\d{1,2}:\d\d(:\d\d(\.\d*)?)?\s*(Z|z|UTC|[+-]\d\d(:?\d\d)?)$"
# A stamp whose numeric UTC offset is beyond +-14:00 (real zones span -12:00 .. +14:00): one regex, no parsing.
OFFSET_BEYOND_14H = r"\d[T ]?\d{1,2}:\d\d(:\d\d(\.\d*)?)?\s*[+-](1[5-9]|[2-9]\d|14:?(0[1-9]|[1-5]\d))(:?\d\d)?$"


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


def check_expressions(
    column: Column, text: str, typed: str, exported_at: datetime | None = None
) -> list[tuple[str, str]]:
    """(condition, message) pairs: the condition is true when the value breaks a rule; the message names the
    column and the value. `exported_at`: upper bound of plausible timestamps (None: no upper bound)."""
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
    if column.type == "TIMESTAMPTZ":
        checks.extend(plausibility_checks(column, text, typed, exported_at))
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


def plausibility_checks(column: Column, text: str, typed: str, exported_at: datetime | None) -> list[tuple[str, str]]:
    name = column.name
    shown = f"'\"' || left({text}, 60) || '\"'"
    offset = (
        f"coalesce(regexp_matches({text}, {literal(OFFSET_BEYOND_14H)}), false)",
        f"{literal(f'{name}: UTC offset beyond +-14:00 in ')} || {shown}",
    )
    earliest = f"{literal(EARLIEST_PLAUSIBLE + ' 00:00:00+00')}::TIMESTAMPTZ"
    too_late = "false"
    after = literal(f"{name}: ") + f" || {shown} || " + literal(" is after the file's export instant")
    if exported_at is not None and not column.future_ok:
        at = exported_at.isoformat()
        too_late = f"{typed} > {literal(at)}::TIMESTAMPTZ"
        after = literal(f"{name}: ") + f" || {shown} || " + literal(f" is after the file's export instant {at}")
    two_digit = (
        f"{literal(f'{name}: two-digit year in ')} || {shown} || "
        f"{literal(' (read as year ')} || lpad(CAST(year({typed}) AS VARCHAR), 4, '0') || "
        f"{literal('); two-digit years are not accepted, export four-digit years')}"
    )
    before = literal(f" is before {EARLIEST_PLAUSIBLE}, not a plausible date")
    message = f"""CASE WHEN {typed} < '0001-01-01 00:00:00+00'::TIMESTAMPTZ
                 THEN {literal(f"{name}: BC date ")} || {shown} || {literal(" is not accepted")}
             WHEN year({typed}) < 100 AND NOT regexp_matches({text}, '[0-9]{{3}}') THEN {two_digit}
             WHEN {typed} < {earliest} THEN {literal(f"{name}: ")} || {shown} || {before}
             ELSE {after} END"""
    return [offset, (f"coalesce({typed} < {earliest} OR {too_late}, false)", message)]


def checked_select(mapping: Mapping, source: str, raw_text: str, zone: str, exported_at: datetime | None = None) -> str:
    """SELECT over `source` (VARCHAR source columns + `_row_number`) yielding typed canonical columns,
    `_row_number`, `_extra`, `_reason` and (only for failing rows) `_raw`. `exported_at`: the file's export
    instant, the latest plausible timestamp.

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
        reasons.extend(check_expressions(column, text, typed, exported_at))
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
