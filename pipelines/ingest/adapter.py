"""What an adapter is: a mapping from a source's columns onto a contract table, written as SQL expressions.

An adapter never touches rows in Python. It returns SQL text; the loader runs it inside DuckDB:

1. `mapping()` gives, per canonical column, a VARCHAR expression over the source columns (all read as text).
   The loader types and checks those values against `mapping.table` (see `validate.py`); failing rows go to
   quarantine, one quarantine row per source row.
2. `derive()` (optional) turns the checked source rows into the raw tables the file feeds, e.g. a ServiceNow
   event log -> tickets (latest snapshot) + ticket_events (diffs); probe samples -> outages. Without it, the
   checked rows are the rows of `mapping.table`.

Read counts therefore reconcile per source row: every row read is either quarantined (it failed the checks of
`mapping.table`) or accepted; `LoadResult.tables` separately says how many rows each raw table received.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from data_quality.contract import Table
from pipelines.ingest.files import FileRejected

# Date formats DuckDB's strptime tries, in order, for naive timestamps given as text. ISO is always tried first.
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


@dataclass(frozen=True)
class Mapping:
    table: Table  # contract (or adapter-specific) table each source row is checked against
    columns: dict[str, str]  # canonical column -> VARCHAR SQL expression over source columns
    extra_columns: tuple[str, ...] = ()  # source columns the contract does not know: kept in _extra
    timestamp_formats: tuple[str, ...] = ()  # strptime formats for naive timestamps; empty = ISO cast
    variant: str = ""  # e.g. "event_log", shown in the load log next to the adapter name
    quarantine_table: str = ""  # raw table named in quarantine rows; default: table.name
    # One source row per record: an exact repeat of an earlier row is a duplicate and goes to quarantine.
    # False for snapshot logs (ServiceNow audit form), where consecutive rows may map to identical values.
    one_row_per_record: bool = True

    @property
    def target(self) -> str:
        return self.quarantine_table or self.table.name


@dataclass(frozen=True)
class Derivation:
    """SQL SELECTs over the checked relation, one per raw table; each yields the table's contract columns
    plus `_row_number` (source row it came from) and `_extra`."""

    selects: dict[str, str] = field(default_factory=dict)


class Adapter:
    name: str = ""
    null_values: tuple[str, ...] = ("",)  # text that means "empty" in this source
    # A source whose exports repeat a column name by design (Jira's multi-value fields); elsewhere a repeated name
    # rejects the file, since one of the two columns would be read under another name.
    repeated_headers: bool = False

    def matches(self, header: tuple[str, ...], path: Path) -> bool:
        raise NotImplementedError

    def mapping(self, header: tuple[str, ...], path: Path) -> Mapping:
        raise NotImplementedError

    def derive(self, mapping: Mapping, checked: str) -> Derivation | None:
        return None


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def column_lookup(header: Iterable[str]) -> dict[str, str]:
    """Case- and space-insensitive lookup from a wanted name to the header's spelling."""
    return {_norm(name): name for name in header}


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def pick(lookup: dict[str, str], *candidates: str) -> str | None:
    """Quoted source column for the first candidate present, else None."""
    for candidate in candidates:
        found = lookup.get(_norm(candidate))
        if found is not None:
            return quote(found)
    return None


def coalesce(lookup: dict[str, str], *candidates: str) -> str | None:
    cols = [c for c in (pick(lookup, cand) for cand in candidates) if c]
    cols = list(dict.fromkeys(cols))
    if not cols:
        return None
    return cols[0] if len(cols) == 1 else f"coalesce({', '.join(cols)})"


def used_columns(lookup: dict[str, str], *candidates: str) -> set[str]:
    return {lookup[_norm(c)] for c in candidates if _norm(c) in lookup}


def case_map(expr: str, mapping: dict[str, str], default_original: bool = True) -> str:
    """CASE over lower(trim(expr)); unmapped values pass through unchanged so the contract check names them."""
    whens = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in mapping.items())
    otherwise = expr if default_original else "NULL"
    return f"CASE lower(trim({expr})) {whens} ELSE {otherwise} END"


def leading_number(expr: str) -> str:
    """'3 - Moderate' -> '3'; a value without a leading number passes through so the check reports it."""
    return f"coalesce(nullif(regexp_extract({expr}, '^\\s*(\\d+)', 1), ''), {expr})"


def require(path: Path, table: Table, columns: dict[str, str | None], expected: dict[str, tuple[str, ...]]) -> None:
    """File-level check: every required canonical column must come from some source column."""
    missing = [name for name in table.required if columns.get(name) is None]
    if missing:
        details = ", ".join(
            f"{name} (source column {' or '.join(repr(c) for c in expected.get(name, (name,)))})" for name in missing
        )
        raise FileRejected(path, f"missing required column(s) for {table.name}: {details}")


def finish(columns: dict[str, str | None], table: Table) -> dict[str, str]:
    """Unmapped optional columns become NULL."""
    return {name: columns.get(name) or "NULL" for name in table.column_names}
