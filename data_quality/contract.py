"""The canonical data contract: what every adapter maps to and what lands in the `raw` schema.

One place for table names, column names, DuckDB types, required columns and allowed values.
Adapters, the loader, the demo generator, dbt sources and the data-quality suites all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type of the column in `raw`
    required: bool = False
    allowed: tuple[str, ...] | None = None  # value set, checked on load (row goes to quarantine otherwise)
    min_value: float | None = None
    max_value: float | None = None
    person: bool = False  # personal data: pseudonymized in audit extracts
    # A timestamp that may lie after the file's export instant: a plan for the future, not a fact of the past.
    future_ok: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]  # natural key; a later export of the same key supersedes the earlier one
    columns: tuple[Column, ...]
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TS = "TIMESTAMPTZ"

TICKET_TYPES = ("incident", "request", "problem")
# Canonical ticket states. Adapters map source vocabularies onto these.
TICKET_STATES = ("new", "in_progress", "on_hold", "awaiting_customer", "resolved", "closed", "cancelled")
CHANGE_TYPES = ("standard", "normal", "emergency")
CHANGE_CLOSE_CODES = ("successful", "successful_with_issues", "unsuccessful", "backed_out", "cancelled")
OUTAGE_TYPES = ("unplanned", "planned", "degradation")
PRIORITIES = ("1", "2", "3", "4")

TICKETS = Table(
    name="tickets",
    key=("ticket_id",),
    description="One row per ticket (incident, request, problem), as last exported.",
    columns=(
        Column("ticket_id", "VARCHAR", required=True),
        Column("ticket_type", "VARCHAR", required=True, allowed=TICKET_TYPES),
        Column("opened_at", TS, required=True),
        Column("first_response_at", TS),
        Column("resolved_at", TS),
        Column("closed_at", TS),
        Column("state", "VARCHAR", required=True, allowed=TICKET_STATES),
        Column("priority", "INTEGER", required=True, allowed=PRIORITIES),
        Column("impact", "INTEGER", min_value=1, max_value=4),
        Column("urgency", "INTEGER", min_value=1, max_value=4),
        Column("service", "VARCHAR"),
        Column("ci", "VARCHAR"),
        Column("category", "VARCHAR"),
        Column("subcategory", "VARCHAR"),
        Column("assignment_group", "VARCHAR"),
        Column("assignee", "VARCHAR", person=True),
        Column("channel", "VARCHAR"),
        Column("caller", "VARCHAR", person=True),
        Column("reopen_count", "INTEGER", min_value=0),
        Column("reassignment_count", "INTEGER", min_value=0),
        Column("caused_by_change", "VARCHAR"),
        Column("problem_id", "VARCHAR"),
        Column("close_code", "VARCHAR"),
        Column("source_made_sla", "BOOLEAN"),
    ),
)

TICKET_EVENTS = Table(
    name="ticket_events",
    key=("ticket_id", "event_at", "field"),
    description="One row per field change of a ticket (state, assignment_group, priority, ...).",
    columns=(
        Column("ticket_id", "VARCHAR", required=True),
        Column("event_at", TS, required=True),
        Column("field", "VARCHAR", required=True),
        Column("from_value", "VARCHAR"),
        Column("to_value", "VARCHAR"),
        Column("actor", "VARCHAR", person=True),
    ),
)

CHANGES = Table(
    name="changes",
    key=("change_id",),
    description="One row per change request.",
    columns=(
        Column("change_id", "VARCHAR", required=True),
        Column("change_type", "VARCHAR", required=True, allowed=CHANGE_TYPES),
        Column("risk", "VARCHAR"),
        Column("service", "VARCHAR"),
        Column("ci", "VARCHAR"),
        Column("requested_at", TS, required=True),
        Column("approved_at", TS),
        Column("planned_start", TS, future_ok=True),
        Column("planned_end", TS, future_ok=True),
        Column("actual_start", TS),
        Column("actual_end", TS),
        Column("state", "VARCHAR"),
        Column("close_code", "VARCHAR", allowed=CHANGE_CLOSE_CODES),
        Column("assignment_group", "VARCHAR"),
    ),
)

OUTAGES = Table(
    name="outages",
    key=("outage_id",),
    description="One row per outage, degradation or planned maintenance window.",
    columns=(
        Column("outage_id", "VARCHAR", required=True),
        Column("service", "VARCHAR", required=True),
        Column("ci", "VARCHAR"),
        Column("started_at", TS, required=True),
        Column("ended_at", TS),
        Column("outage_type", "VARCHAR", required=True, allowed=OUTAGE_TYPES),
        Column("impact_pct", "DOUBLE", min_value=0, max_value=100),
        Column("change_id", "VARCHAR"),
        Column("ticket_id", "VARCHAR"),
    ),
)

SURVEYS = Table(
    name="surveys",
    key=("survey_id",),
    description="One row per satisfaction survey sent.",
    columns=(
        Column("survey_id", "VARCHAR", required=True),
        Column("ticket_id", "VARCHAR"),
        Column("sent_at", TS, required=True),
        Column("responded_at", TS),
        Column("csat_score", "INTEGER", min_value=1, max_value=5),
        Column("nps_score", "INTEGER", min_value=0, max_value=10),
        Column("comment", "VARCHAR"),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (TICKETS, TICKET_EVENTS, CHANGES, OUTAGES, SURVEYS)}

# Lineage columns carried by every raw row.
LINEAGE_COLUMNS: tuple[Column, ...] = (
    Column("_source_file", "VARCHAR", required=True),
    Column("_file_sha256", "VARCHAR", required=True),
    Column("_row_number", "BIGINT", required=True),  # 1-based data record number in the source file
    Column("_loaded_at", TS, required=True),
    Column("_load_id", "BIGINT", required=True),  # monotonic per load; the latest load wins per key
    Column("_extra", "JSON"),  # source columns the contract does not know, kept rather than dropped
)

# Earliest plausible timestamp: an ITSM record older than this is a typing or parsing error, not history.
EARLIEST_PLAUSIBLE = "1990-01-01"

RAW_SCHEMA = "raw"
QUARANTINE_TABLE = "quarantine"
LOAD_LOG_TABLE = "load_log"
