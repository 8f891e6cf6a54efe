"""Acknowledged values: a rejected row that cannot be corrected at the source, accepted by a person, with why.

`itsm dq acknowledge CHECK KEY --reason TEXT` appends one row to dq.acknowledgements (append-only; who = the OS user
or --by, when = now, UTC). From then on the row rule CHECK leaves the rows of KEY out of its counts and sample, and
its result says how many keys were acknowledged. KEY is written as the failing-keys sample shows it: on raw
`INC0001|7` (that load's version only) or `INC0001` (every version); on staging the key itself. Only row rules can
be acknowledged (their outcome is a sum over rows, so leaving rows out is exact), not aggregate checks.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from data_quality.frames import quote
from data_quality.results import ACK_COLUMNS, ACK_TABLE, create_table, insert_rows, table_exists
from data_quality.specs import TableSuite


class AcknowledgeError(ValueError):
    """A request that cannot be recorded, with a message that says why and what to do."""


@dataclass(frozen=True)
class Acknowledgement:
    check_name: str
    key: str
    reason: str
    acknowledged_by: str
    acknowledged_at: datetime


def acknowledge(
    conn: duckdb.DuckDBPyConnection, check_name: str, key: str, reason: str, by: str | None = None
) -> Acknowledgement:
    """Append one acknowledgement; refuse an unknown check, an aggregate check, an empty key or reason."""
    from data_quality.suites import AGGREGATE_CHECKS, TABLE_SUITES

    if check_name not in {e.name for s in TABLE_SUITES for e in s.expectations}:
        if check_name in {c.name for c in AGGREGATE_CHECKS}:
            raise AcknowledgeError(
                f"{check_name} is not a row rule: only checks that judge single rows (the GX suites) can have a "
                "value acknowledged; fix the data or the reference instead"
            )
        raise AcknowledgeError(f"unknown check {check_name!r}: `itsm check` lists every check by name")
    if not key.strip():
        raise AcknowledgeError("KEY is empty: give the key as the check's failing keys show it, e.g. INC0001|7")
    if not reason.strip():
        raise AcknowledgeError("--reason is empty: say why the value is accepted (it is kept for auditors)")
    ack = Acknowledgement(check_name, key.strip(), reason.strip(), by or getpass.getuser(), datetime.now(UTC))
    create_table(conn, ACK_TABLE, ACK_COLUMNS)
    insert_rows(conn, ACK_TABLE, len(ACK_COLUMNS), [tuple(ack.__dict__.values())])
    return ack


def acknowledged_keys(conn: duckdb.DuckDBPyConnection, check_names: list[str]) -> dict[str, list[str]]:
    """The acknowledged keys of each of `check_names` (only those that have any)."""
    if not check_names or not table_exists(conn, ACK_TABLE):
        return {}
    rows = conn.execute(
        f"""select check_name, list(distinct key order by key) from {ACK_TABLE}
            where check_name in (select unnest(?::varchar[])) group by check_name""",
        [check_names],
    ).fetchall()
    return {name: list(keys) for name, keys in rows}


def key_filter(suite: TableSuite, keys: list[str]) -> tuple[str, list[object]]:
    """SQL condition (and its parameters) selecting the rows whose key, written as gx_engine.format_key writes it
    (on raw also without its load id), is one of `keys`."""

    def text(columns: list[str]) -> str:
        return "concat_ws('|', " + ", ".join(f"coalesce({quote(c)}::varchar, '<null>')" for c in columns) + ")"

    forms = [text(list(suite.key_columns))]
    business = [c for c in suite.key_columns if c != "_load_id"]
    if business and len(business) < len(suite.key_columns):
        forms.append(text(business))
    condition = " or ".join(f"{form} in (select unnest(?::varchar[]))" for form in forms)
    return f"({condition})", [keys] * len(forms)
