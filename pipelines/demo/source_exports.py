"""Small exports in the vendors' own shapes: a ServiceNow incident audit event log and a Jira Service Management CSV.

Both are rendered from ordinary generated tickets + events, so their histories are as consistent as the canonical
ones. Their ids (INC0010001.., ITSM-1..) never collide with canonical ids (T-000001..).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.demo.reference import Reference
from pipelines.demo.tickets import TicketBatch
from pipelines.demo.window import END_S

SERVICENOW_TIMEZONE = "Europe/London"  # naive d/m/Y H:M local times, as the instance writes them
JIRA_TIMEZONE = "UTC"  # naive `25/Nov/26 4:29 PM` times, as the exporting user's profile writes them

SN_STATE = {
    "new": "New",
    "in_progress": "Active",
    "awaiting_customer": "Awaiting User Info",
    "on_hold": "Awaiting Vendor",
    "resolved": "Resolved",
    "closed": "Closed",
}
SN_PRIORITY = {1: "1 - Critical", 2: "2 - High", 3: "3 - Moderate", 4: "4 - Low"}
SN_LEVEL = {1: "1 - High", 2: "2 - Medium", 3: "3 - Low"}
SN_CONTACT = {
    "phone": "Phone",
    "email": "Email",
    "self_service": "Self service",
    "chat": "Chat",
    "monitoring": "Direct opening",
}
SN_CLOSE = {
    "solved_permanently": "Solved (Permanently)",
    "solved_workaround": "Solved (Work Around)",
    "not_reproducible": "Not Solved (Not Reproducible)",
}
SN_COLUMNS = [
    "number",
    "incident_state",
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_created_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "location",
    "category",
    "subcategory",
    "cmdb_ci",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "problem_id",
    "rfc",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
    "u_service",
]
LOCATIONS = ("London HQ", "Manchester", "Leeds", "Bristol", "Edinburgh", "Remote")

JIRA_STATUS = {
    "new": "Open",
    "in_progress": "In Progress",
    "awaiting_customer": "Waiting for customer",
    "on_hold": "Pending",
    "resolved": "Resolved",
    "closed": "Closed",
    "cancelled": "Canceled",
}
JIRA_PRIORITY = {1: "Highest", 2: "High", 3: "Medium", 4: "Low"}
JIRA_TYPE = {"incident": "Incident", "request": "Service Request"}
JIRA_COLUMNS = (
    "Issue key",
    "Issue Type",
    "Status",
    "Priority",
    "Created",
    "Resolved",
    "Updated",
    "Assignee",
    "Reporter",
    "Component/s",
    "Summary",
)


def _sn_time(column: str) -> pl.Expr:
    # Day and month without padding, hour and minute padded: 29/2/2016 04:57.
    return pl.col(column).dt.convert_time_zone(SERVICENOW_TIMEZONE).dt.strftime("%-d/%-m/%Y %H:%M")


def servicenow_event_log(rng: np.random.Generator, ref: Reference, batch: TicketBatch) -> pl.DataFrame:
    """One snapshot row per update of each incident (sys_mod_count 0 = as opened), `?` for empty values."""
    tickets = batch.tickets.with_columns(
        location=pl.Series(np.array(LOCATIONS, dtype=object)[rng.integers(0, len(LOCATIONS), batch.tickets.height)]),
        opened_by=pl.when(pl.col("channel") == "phone").then(pl.lit("Service Desk")).otherwise(pl.col("caller")),
        target_s=pl.col("priority").replace_strict(ref.incident_resolution_minutes, default=None) * 60,
    ).with_columns(
        made_sla=(pl.coalesce("resolved_s", pl.lit(END_S)) - pl.col("opened_s")) <= pl.col("target_s"),
        initial_group=pl.col("initial_group"),
    )
    created = tickets.select(
        "ticket_id",
        event_s=pl.col("opened_s"),
        slot=pl.lit(-1, dtype=pl.Int64),
        field=pl.lit("created"),
        from_value=pl.lit(None, dtype=pl.String),
        to_value=pl.lit("new"),
        actor=pl.col("opened_by"),
    )
    updates = batch.events.select(created.columns)
    is_state = pl.col("field").is_in(["state", "created"])
    snapshots = (
        pl.concat([created, updates])
        .sort("ticket_id", "event_s", "slot")
        .join(tickets, on="ticket_id", how="left")
        .with_columns(
            state=pl.when(is_state).then(pl.col("to_value")).forward_fill().over("ticket_id"),
            group=pl.when(pl.col("field") == "assignment_group")
            .then(pl.col("to_value"))
            .when(pl.col("field") == "created")
            .then(pl.col("initial_group"))
            .forward_fill()
            .over("ticket_id"),
            current_priority=pl.when(pl.col("field") == "priority")
            .then(pl.col("to_value").cast(pl.Int64, strict=False))
            .when(pl.col("field") == "created")
            .then(pl.col("initial_priority"))
            .forward_fill()
            .over("ticket_id"),
            reassignments=(pl.col("field") == "assignment_group").cum_sum().over("ticket_id"),
            reopens=(is_state & (pl.col("from_value") == "resolved") & (pl.col("to_value") == "in_progress"))
            .cum_sum()
            .over("ticket_id"),
            resolved_so_far=pl.when(pl.col("to_value") == "resolved")
            .then(pl.col("event_s"))
            .forward_fill()
            .over("ticket_id"),
            closed_so_far=pl.when(pl.col("to_value") == "closed")
            .then(pl.col("event_s"))
            .forward_fill()
            .over("ticket_id"),
            sys_mod_count=pl.int_range(pl.len()).over("ticket_id"),
        )
    )
    done = pl.col("state").is_in(["resolved", "closed"])
    to_dt = lambda c: (pl.col(c) * 1_000_000).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")  # noqa: E731
    impact = pl.min_horizontal(pl.col("current_priority"), 3)
    urgency = pl.max_horizontal(pl.col("current_priority") - impact + 1, 1)
    out = snapshots.with_columns(
        number=pl.col("ticket_id"),
        incident_state=pl.col("state").replace_strict(SN_STATE),
        active=pl.when(pl.col("state") == "closed").then(pl.lit("false")).otherwise(pl.lit("true")),
        reassignment_count=pl.col("reassignments").cast(pl.String),
        reopen_count=pl.col("reopens").cast(pl.String),
        sys_mod_count=pl.col("sys_mod_count").cast(pl.String),
        made_sla=pl.col("made_sla").cast(pl.String).str.to_lowercase(),
        caller_id=pl.col("caller"),
        opened_at=_sn_time("opened_at"),
        sys_created_at=_sn_time("opened_at"),
        sys_updated_by=pl.col("actor"),
        sys_updated_at=to_dt("event_s").dt.convert_time_zone(SERVICENOW_TIMEZONE).dt.strftime("%-d/%-m/%Y %H:%M"),
        contact_type=pl.col("channel").replace_strict(SN_CONTACT, default="Phone"),
        cmdb_ci=pl.col("ci"),
        impact=impact.replace_strict(SN_LEVEL),
        urgency=urgency.replace_strict(SN_LEVEL),
        priority=pl.col("current_priority").replace_strict(SN_PRIORITY),
        assignment_group=pl.col("group"),
        assigned_to=pl.when(pl.col("state") != "new").then(pl.col("assignee")),
        rfc=pl.col("caused_by_change"),
        caused_by=pl.lit(None, dtype=pl.String),
        closed_code=pl.when(done).then(pl.col("close_code").replace_strict(SN_CLOSE, default=None)),
        resolved_by=pl.when(done).then(pl.col("assignee")),
        resolved_at=pl.when(done).then(
            to_dt("resolved_so_far").dt.convert_time_zone(SERVICENOW_TIMEZONE).dt.strftime("%-d/%-m/%Y %H:%M")
        ),
        closed_at=pl.when(pl.col("state") == "closed").then(
            to_dt("closed_so_far").dt.convert_time_zone(SERVICENOW_TIMEZONE).dt.strftime("%-d/%-m/%Y %H:%M")
        ),
        u_service=pl.col("service"),
    )
    return out.select(pl.col(c).cast(pl.String).fill_null("?") for c in SN_COLUMNS)


def _jira_time(column: str) -> pl.Expr:
    # Jira writes `25/Nov/26 4:29 PM`: two-digit year, unpadded 12-hour clock.
    return pl.col(column).dt.convert_time_zone(JIRA_TIMEZONE).dt.strftime("%d/%b/%y %-I:%M %p")


def jira_export(batch: TicketBatch) -> pl.DataFrame:
    last_update = batch.events.group_by("ticket_id").agg(updated=pl.col("event_at").max())
    tickets = batch.tickets.join(last_update, on="ticket_id", how="left").sort("opened_s", "ticket_id")
    return tickets.select(
        pl.col("ticket_id").alias("Issue key"),
        pl.col("ticket_type").replace_strict(JIRA_TYPE).alias("Issue Type"),
        pl.col("state").replace_strict(JIRA_STATUS).alias("Status"),
        pl.col("priority").replace_strict(JIRA_PRIORITY).alias("Priority"),
        _jira_time("opened_at").alias("Created"),
        _jira_time("resolved_at").alias("Resolved"),
        pl.coalesce(_jira_time("updated"), _jira_time("opened_at")).alias("Updated"),
        pl.col("assignee").alias("Assignee"),
        pl.col("caller").alias("Reporter"),
        pl.col("service").alias("Component/s"),
        (
            pl.col("service").str.to_uppercase()
            + ": "
            + pl.col("category").str.replace_all("_", " ")
            + " - "
            + pl.col("subcategory").str.replace_all("_", " ")
        ).alias("Summary"),
    )
