"""A ticket's history from ordered snapshots: the latest snapshot is the ticket, diffs are its events.

Shared by the ServiceNow audit event log (each row a snapshot after an update) and mapped process-mining event
logs (each event, with the values carried forward from earlier events, is a snapshot). Snapshots of one ticket
stamped with the same instant count as one update: the net change of that instant (the last snapshot of it in
`order`), so the ticket_events key (ticket, event_at, field) stays unique. The first snapshot yields no event:
the first event's from_value says what the ticket started as.
"""

from __future__ import annotations

from data_quality.contract import TICKETS
from pipelines.ingest.adapter import literal, quote

TRACKED_FIELDS = ("state", "assignment_group", "priority", "assignee")


def _as_text(field: str) -> str:
    return f"CAST({quote(field)} AS VARCHAR)"


def ordered_snapshots(snapshots: str, at: str, order: str, last_first: str) -> str:
    """`snapshots` collapsed to one per (ticket_id, at) and numbered per ticket in `order`, with the previous
    value of every tracked field. `last_first`: the order that puts the last snapshot of one instant first."""
    collapsed = f"""(SELECT * FROM {snapshots} AS s
             QUALIFY row_number() OVER (PARTITION BY ticket_id, {at} ORDER BY {last_first}) = 1)"""
    return f"""(SELECT *, row_number() OVER w AS _seq_in_ticket,
                {", ".join(f"lag({_as_text(f)}) OVER w AS {quote('_prev_' + f)}" for f in TRACKED_FIELDS)}
         FROM {collapsed} AS c
         WINDOW w AS (PARTITION BY ticket_id ORDER BY {order}))"""


def latest_ticket(ordered: str, columns: dict[str, str] | None = None) -> str:
    """The ticket as its last snapshot says; `columns` replaces a column's expression (e.g. a derived opened_at)."""
    columns = columns or {}
    cols = ", ".join(f"{columns.get(c, quote(c))} AS {quote(c)}" for c in TICKETS.column_names)
    return f"""
SELECT {cols}, _row_number, _extra FROM {ordered} AS o
QUALIFY row_number() OVER (PARTITION BY ticket_id ORDER BY _seq_in_ticket DESC) = 1"""


def field_changes(ordered: str, at: str, actor: str) -> str:
    """One ticket_events row per change of a tracked field between consecutive snapshots."""
    return " UNION ALL ".join(
        f"""SELECT ticket_id, {at} AS event_at, {literal(f)} AS field,
                   {quote("_prev_" + f)} AS from_value, {_as_text(f)} AS to_value,
                   {actor} AS actor, _row_number, NULL::JSON AS _extra
            FROM {ordered} AS o
            WHERE _seq_in_ticket > 1 AND {quote("_prev_" + f)} IS DISTINCT FROM {_as_text(f)}"""
        for f in TRACKED_FIELDS
    )
