"""Jira Service Management CSV export (Issues -> Export -> CSV, all fields).

Recognised by `Issue key` + `Issue Type`. Mapped: Issue key -> ticket_id; Issue Type (Incident / Problem /
Service Request / ...) -> ticket_type; Status -> state; Priority (Highest/High/Medium/Low/Lowest, P1-P4,
Critical) -> 1-4; Created / Resolved -> opened_at / resolved_at; Assignee; Reporter -> caller; Component/s or
an "Affected services" custom field -> service; Resolution -> close_code; Custom field (Request Type) -> category;
Custom field (Request participants) is kept in _extra like every other unknown column. Jira repeats header names
(several `Component/s`): the first occurrence is used, the others land in _extra as `Component/s_2`, ...

Dates: Jira's default `25/Nov/26 4:29 PM` (d/MMM/yy h:mm a) and ISO; naive, read in the `jira` time zone.
Statuses without a mapping pass through unchanged and are quarantined by the contract's state check, so a new
workflow status is visible rather than silently guessed.
"""

from __future__ import annotations

from pathlib import Path

from data_quality.contract import TICKETS
from pipelines.ingest.adapter import (
    Adapter,
    Mapping,
    case_map,
    coalesce,
    column_lookup,
    finish,
    pick,
    require,
    used_columns,
)

DATE_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M", "%Y-%m-%d %H:%M:%S.%f")

STATUSES = {
    "open": "new",
    "new": "new",
    "to do": "new",
    "waiting for support": "new",
    "in progress": "in_progress",
    "work in progress": "in_progress",
    "escalated": "in_progress",
    "investigating": "in_progress",
    "under investigation": "in_progress",
    "implementing": "in_progress",
    "waiting for customer": "awaiting_customer",
    "pending customer": "awaiting_customer",
    "pending": "on_hold",
    "on hold": "on_hold",
    "waiting for approval": "on_hold",
    "waiting for vendor": "on_hold",
    "resolved": "resolved",
    "done": "resolved",
    "completed": "resolved",
    "closed": "closed",
    "canceled": "cancelled",
    "cancelled": "cancelled",
    "declined": "cancelled",
    "won't do": "cancelled",
}

PRIORITIES = {
    "highest": "1",
    "critical": "1",
    "blocker": "1",
    "p1": "1",
    "high": "2",
    "major": "2",
    "p2": "2",
    "medium": "3",
    "p3": "3",
    "low": "4",
    "lowest": "4",
    "minor": "4",
    "p4": "4",
}

ISSUE_TYPES = {
    "incident": "incident",
    "problem": "problem",
    "service request": "request",
    "service request with approvals": "request",
    "request": "request",
    "task": "request",
    "sub-task": "request",
}


class JiraAdapter(Adapter):
    name = "jira"
    repeated_headers = True

    def matches(self, header: tuple[str, ...], path: Path) -> bool:
        look = column_lookup(header)
        return pick(look, "Issue key") is not None and pick(look, "Issue Type") is not None

    def mapping(self, header: tuple[str, ...], path: Path) -> Mapping:
        look = column_lookup(header)
        sources = {
            "ticket_id": ("Issue key",),
            "ticket_type": ("Issue Type",),
            "opened_at": ("Created",),
            "resolved_at": ("Resolved",),
            "state": ("Status",),
            "priority": ("Priority",),
            "service": (
                "Custom field (Affected services)",
                "Affected services",
                "Custom field (Service)",
                "Component/s",
            ),
            "category": ("Custom field (Request Type)", "Request Type"),
            "assignment_group": ("Custom field (Team)", "Team", "Custom field (Assignment group)"),
            "assignee": ("Assignee",),
            "caller": ("Reporter",),
            "close_code": ("Resolution",),
            "first_response_at": ("Custom field (First response)",),
        }
        columns: dict[str, str | None] = {name: coalesce(look, *cands) for name, cands in sources.items()}
        if columns["ticket_type"]:
            columns["ticket_type"] = case_map(columns["ticket_type"], ISSUE_TYPES)
        if columns["state"]:
            columns["state"] = case_map(columns["state"], STATUSES)
        if columns["priority"]:
            columns["priority"] = case_map(columns["priority"], PRIORITIES)
        require(path, TICKETS, columns, sources)
        used = used_columns(look, *(c for cands in sources.values() for c in cands))
        extra = tuple(name for name in header if name not in used)
        return Mapping(
            table=TICKETS,
            columns=finish(columns, TICKETS),
            extra_columns=extra,
            timestamp_formats=DATE_FORMATS,
            variant="jsm",
        )
