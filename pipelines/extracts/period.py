"""Which source records are "in" a period, shared by the lineage extract and the no-data refusals.

A record is in the period when it was active during it: a ticket open at any moment of it, a change between
request and end, an outage overlapping it, an event or a survey sent inside it. `--service` narrows to records of
that service (events and surveys through their ticket).
"""

from __future__ import annotations

# raw table -> (staging relation holding the current row per key, predicate on alias `r`, join for service)
ACTIVITY: dict[str, tuple[str, str, str]] = {
    "tickets": (
        "staging.stg_raw__tickets",
        "r.opened_at < $end_ts and coalesce(r.closed_at, r.resolved_at, $end_ts) >= $start_ts",
        "r.service",
    ),
    "ticket_events": (
        "staging.stg_raw__ticket_events",
        "r.event_at >= $start_ts and r.event_at < $end_ts",
        "(select t.service from staging.stg_raw__tickets as t where t.ticket_id = r.ticket_id)",
    ),
    "changes": (
        "staging.stg_raw__changes",
        "r.requested_at < $end_ts and coalesce(r.actual_end, r.planned_end, r.requested_at) >= $start_ts",
        "r.service",
    ),
    "outages": (
        "staging.stg_raw__outages",
        "r.started_at < $end_ts and coalesce(r.ended_at, $end_ts) >= $start_ts",
        "r.service",
    ),
    "surveys": (
        "staging.stg_raw__surveys",
        "r.sent_at >= $start_ts and r.sent_at < $end_ts",
        "(select t.service from staging.stg_raw__tickets as t where t.ticket_id = r.ticket_id)",
    ),
}

STAGING_RELATIONS: tuple[str, ...] = tuple(rel for rel, _, _ in ACTIVITY.values())


def active_rows_sql(table: str) -> str:
    """Current rows of `table` active in the period (and of the service, when given), with their lineage."""
    relation, predicate, service = ACTIVITY[table]
    return f"""
        select '{table}' as raw_table, r._load_id as load_id, r._source_file as source_file
        from {relation} as r
        where {predicate} and ($service is null or {service} = $service)
    """


def activity_count_sql(tables: tuple[str, ...] = tuple(ACTIVITY)) -> str:
    """One integer: how many current source records are active in the period."""
    union = "\nunion all\n".join(active_rows_sql(t) for t in tables)
    return f"select count(*) from (\n{union}\n) as active"
