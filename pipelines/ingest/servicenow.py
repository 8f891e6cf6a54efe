"""ServiceNow exports: the incident list (flat), the incident audit event log, and change_request.

Column names are ServiceNow's own, as in the public "incident event log" export: number, incident_state, active,
reassignment_count, reopen_count, sys_mod_count, made_sla, caller_id, opened_by, opened_at, sys_created_at,
sys_updated_by, sys_updated_at, contact_type, location, category, subcategory, cmdb_ci, impact ("2 - Medium"),
urgency, priority ("3 - Moderate"), assignment_group, assigned_to, problem_id, rfc, caused_by, closed_code,
resolved_by, resolved_at, closed_at, plus u_service or business_service for the service. `?` means empty.
Dates are d/m/Y H:M (`29/2/2016 04:57`), or ISO; naive, read in the `servicenow` source time zone.
ticket_type comes from the number prefix: PRB -> problem, RITM/REQ/SCTASK -> request, anything else incident.

Forms:
- event log: the header has `sys_mod_count`. Each row is a snapshot of an incident after an update, many rows
  per `number`. Every snapshot is checked as a ticket; good snapshots are ordered per number by
  (sys_mod_count, sys_updated_at, row) and yield the latest snapshot as the ticket, and one ticket_events row
  per change of state, assignment_group, priority or assignee between consecutive good snapshots (event_at =
  the later snapshot's sys_updated_at, actor = its sys_updated_by). The first snapshot yields no event: the
  first event's from_value says what the ticket started as. Snapshots stamped with the same sys_updated_at
  (dates have minute resolution) count as one update: the net change of that minute, so the ticket_events key
  (ticket, event_at, field) stays unique.
- flat list: no `sys_mod_count`; one ticket per row (`state` or `incident_state`, `close_code` or
  `closed_code`).
- change_request: header has `number` and `type` with planned/actual window columns (start_date, end_date,
  work_start, work_end) or the file name starts with change_request. Mapped: type -> change_type, risk,
  u_service/business_service -> service, cmdb_ci -> ci, opened_at/sys_created_on -> requested_at,
  approval_set -> approved_at (only when approval is empty or 'approved'), start_date/end_date -> planned_*,
  work_start/work_end -> actual_*, state, close_code (Successful / Successful with issues / Unsuccessful /
  Backed out; a Canceled change gets close_code cancelled), assignment_group.
"""

from __future__ import annotations

from pathlib import Path

from data_quality.contract import CHANGES, TICKETS, TS, Column, Table
from pipelines.ingest.adapter import (
    Adapter,
    Derivation,
    Mapping,
    case_map,
    coalesce,
    column_lookup,
    finish,
    leading_number,
    pick,
    require,
    used_columns,
)
from pipelines.ingest.history import field_changes, latest_ticket, ordered_snapshots

DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")

# ServiceNow incident states -> canonical states. "Awaiting <anything else>" is on_hold (see STATE_EXPR).
INCIDENT_STATES = {
    "new": "new",
    "active": "in_progress",
    "in progress": "in_progress",
    "work in progress": "in_progress",
    "on hold": "on_hold",
    "pending": "on_hold",
    "awaiting user info": "awaiting_customer",
    "awaiting caller": "awaiting_customer",
    "awaiting customer": "awaiting_customer",
    "resolved": "resolved",
    "closed": "closed",
    "canceled": "cancelled",
    "cancelled": "cancelled",
}

CHANGE_TYPES = {"standard": "standard", "normal": "normal", "emergency": "emergency", "expedited": "emergency"}
CHANGE_CLOSE_CODES = {
    "successful": "successful",
    "successful with issues": "successful_with_issues",
    "successful_issues": "successful_with_issues",
    "successful_with_issues": "successful_with_issues",
    "unsuccessful": "unsuccessful",
    "backed out": "backed_out",
    "backed_out": "backed_out",
    "canceled": "cancelled",
    "cancelled": "cancelled",
}

# Each snapshot of the event log is checked as a ticket plus the audit columns that order the snapshots.
SNAPSHOT = Table(
    name="tickets",
    key=TICKETS.key,
    columns=(
        *TICKETS.columns,
        Column("sys_mod_count", "INTEGER"),
        Column("sys_updated_at", TS, required=True),
        Column("sys_updated_by", "VARCHAR"),
    ),
)


def _state(expr: str) -> str:
    mapped = case_map(expr, INCIDENT_STATES)
    return f"CASE WHEN lower(trim({expr})) LIKE 'awaiting%' AND {mapped} = {expr} THEN 'on_hold' ELSE {mapped} END"


class ServiceNowAdapter(Adapter):
    name = "servicenow"
    null_values = ("", "?")

    def matches(self, header: tuple[str, ...], path: Path) -> bool:
        look = column_lookup(header)
        return pick(look, "number") is not None and (self._is_change(header, path) or self._is_incident(header))

    @staticmethod
    def _is_change(header: tuple[str, ...], path: Path) -> bool:
        look = column_lookup(header)
        window = pick(look, "start_date", "end_date", "work_start", "work_end") is not None
        return path.name.lower().startswith("change_request") or (pick(look, "type") is not None and window)

    @staticmethod
    def _is_incident(header: tuple[str, ...]) -> bool:
        look = column_lookup(header)
        return pick(look, "incident_state", "caller_id", "sys_mod_count") is not None or (
            pick(look, "state") is not None and pick(look, "opened_at") is not None
        )

    def mapping(self, header: tuple[str, ...], path: Path) -> Mapping:
        if self._is_change(header, path):
            return self._change_mapping(header, path)
        return self._incident_mapping(header, path)

    def _incident_mapping(self, header: tuple[str, ...], path: Path) -> Mapping:
        look = column_lookup(header)
        event_log = pick(look, "sys_mod_count") is not None
        sources = {
            "ticket_id": ("number",),
            "opened_at": ("opened_at", "sys_created_at", "sys_created_on"),
            "resolved_at": ("resolved_at",),
            "closed_at": ("closed_at",),
            "state": ("incident_state", "state"),
            "priority": ("priority",),
            "impact": ("impact",),
            "urgency": ("urgency",),
            "service": ("u_service", "business_service"),
            "ci": ("cmdb_ci",),
            "category": ("category",),
            "subcategory": ("subcategory",),
            "assignment_group": ("assignment_group",),
            "assignee": ("assigned_to",),
            "channel": ("contact_type",),
            "caller": ("caller_id",),
            "reopen_count": ("reopen_count",),
            "reassignment_count": ("reassignment_count",),
            "caused_by_change": ("caused_by",),
            "problem_id": ("problem_id",),
            "close_code": ("closed_code", "close_code"),
            "source_made_sla": ("made_sla",),
        }
        columns: dict[str, str | None] = {name: coalesce(look, *cands) for name, cands in sources.items()}
        # ServiceNow numbers carry their table: PRB problem, RITM/REQ/SCTASK request; else incident.
        number = columns["ticket_id"] or "NULL"
        columns["ticket_type"] = (
            f"CASE WHEN {number} LIKE 'PRB%' THEN 'problem' "
            f"WHEN {number} LIKE 'RITM%' OR {number} LIKE 'REQ%' OR {number} LIKE 'SCTASK%' THEN 'request' "
            "ELSE 'incident' END"
        )
        for name in ("priority", "impact", "urgency"):
            if columns[name]:
                columns[name] = leading_number(columns[name])
        if columns["state"]:
            columns["state"] = _state(columns["state"])
        table = TICKETS
        audit = ("sys_mod_count", "sys_updated_at", "sys_updated_on", "sys_updated_by")
        if event_log:
            table = SNAPSHOT
            columns["sys_mod_count"] = pick(look, "sys_mod_count")
            columns["sys_updated_at"] = coalesce(look, "sys_updated_at", "sys_updated_on")
            columns["sys_updated_by"] = pick(look, "sys_updated_by")
            sources["sys_updated_at"] = ("sys_updated_at",)
        require(path, table, columns, sources)
        used = used_columns(look, *(c for cands in sources.values() for c in cands), *(audit if event_log else ()))
        extra = tuple(name for name in header if name not in used)
        return Mapping(
            table=table,
            columns=finish(columns, table),
            extra_columns=extra,
            timestamp_formats=DATE_FORMATS,
            variant="event_log" if event_log else "incident",
            one_row_per_record=not event_log,
        )

    def _change_mapping(self, header: tuple[str, ...], path: Path) -> Mapping:
        look = column_lookup(header)
        sources = {
            "change_id": ("number",),
            "change_type": ("type",),
            "risk": ("risk",),
            "service": ("u_service", "business_service"),
            "ci": ("cmdb_ci",),
            "requested_at": ("opened_at", "sys_created_on", "sys_created_at"),
            "approved_at": ("approval_set",),
            "planned_start": ("start_date",),
            "planned_end": ("end_date",),
            "actual_start": ("work_start",),
            "actual_end": ("work_end",),
            "state": ("state",),
            "close_code": ("close_code",),
            "assignment_group": ("assignment_group",),
        }
        columns: dict[str, str | None] = {name: coalesce(look, *cands) for name, cands in sources.items()}
        if columns["change_type"]:
            columns["change_type"] = case_map(columns["change_type"], CHANGE_TYPES)
        if columns["risk"]:
            # '2 - High' -> 'high'
            columns["risk"] = f"lower(trim(regexp_replace({columns['risk']}, '^\\s*\\d+\\s*-\\s*', '')))"
        state = columns["state"]
        approval = pick(look, "approval")
        if columns["approved_at"] and approval:
            approved = f"{approval} IS NULL OR lower(trim({approval})) = 'approved'"
            columns["approved_at"] = f"CASE WHEN {approved} THEN {columns['approved_at']} END"
        close = case_map(columns["close_code"], CHANGE_CLOSE_CODES) if columns["close_code"] else "NULL"
        if state:
            cancelled = f"CASE WHEN lower(trim({state})) IN ('canceled', 'cancelled') THEN 'cancelled' END"
            close = f"coalesce({close}, {cancelled})"
            columns["state"] = f"replace(lower(trim({state})), 'canceled', 'cancelled')"
        columns["close_code"] = close
        require(path, CHANGES, columns, sources)
        used = used_columns(look, *(c for cands in sources.values() for c in cands), "approval")
        extra = tuple(name for name in header if name not in used)
        return Mapping(
            table=CHANGES,
            columns=finish(columns, CHANGES),
            extra_columns=extra,
            timestamp_formats=DATE_FORMATS,
            variant="change_request",
        )

    def derive(self, mapping: Mapping, checked: str) -> Derivation | None:
        if mapping.variant != "event_log":
            return None
        ordered = ordered_snapshots(
            f"(SELECT * FROM {checked} WHERE _reason IS NULL)",
            at="sys_updated_at",
            order="sys_mod_count NULLS FIRST, sys_updated_at, _row_number",
            last_first="sys_mod_count DESC NULLS LAST, _row_number DESC",
        )
        return Derivation(
            {
                "tickets": latest_ticket(ordered),
                "ticket_events": field_changes(ordered, at="sys_updated_at", actor="sys_updated_by"),
            }
        )
