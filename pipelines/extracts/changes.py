"""`changes`: unauthorized, emergency and failed changes of the period, with the incidents and outages linked to
them explicitly (tickets.caused_by_change, outages.change_id; timing is never taken as causation).

A change belongs to the period by the instant marts.fct_change reports it in: actual end, else actual start,
else planned start, else requested (the same rule as its change_month, at day precision). `reasons` lists why the
change is in the extract: unauthorized, emergency, failed (unsuccessful / backed out), caused_failure (linked to an
incident or an unplanned outage).
"""

from __future__ import annotations

from pipelines.extracts.request import ExtractRequest
from pipelines.extracts.spec import Dataset, ExtractKind

_REPORTED_AT = "coalesce(c.actual_end, c.actual_start, c.planned_start, c.requested_at)"
_IN_PERIOD = f"{_REPORTED_AT} >= $start_ts and {_REPORTED_AT} < $end_ts and ($service is null or c.service = $service)"
_SELECTED = f"""
    select c.* from marts.fct_change as c
    where {_IN_PERIOD}
      and (c.is_unauthorized or c.is_emergency or c.is_failed_or_backed_out or c.is_change_failure)
"""


def _datasets(request: ExtractRequest) -> list[Dataset]:
    return [
        Dataset(
            name="changes",
            description="Unauthorized, emergency and failed changes reported in the period, with why they are here.",
            sql=f"""
                select
                    c.change_id,
                    concat_ws(';',
                        case when c.is_unauthorized then 'unauthorized' end,
                        case when c.is_emergency then 'emergency' end,
                        case when c.is_failed_or_backed_out then 'failed' end,
                        case when c.is_change_failure then 'caused_failure' end
                    ) as reasons,
                    c.change_month,
                    c.service,
                    c.change_type,
                    c.risk,
                    c.ci,
                    c.assignment_group,
                    c.state,
                    c.close_code,
                    c.requested_at,
                    c.approved_at,
                    c.planned_start,
                    c.planned_end,
                    c.actual_start,
                    c.actual_end,
                    c.is_unauthorized,
                    c.is_emergency,
                    c.is_failed_or_backed_out,
                    c.is_change_failure,
                    c.overran_planned_window,
                    c.lead_time_hours,
                    c.overrun_hours,
                    c.linked_incidents,
                    c.linked_unplanned_outages,
                    c.caused_outage_hours
                from ({_SELECTED}) as c
            """,
        ),
        Dataset(
            name="change_links",
            description="Incidents (tickets.caused_by_change) and outages (outages.change_id) naming each change.",
            sql=f"""
                select
                    sel.change_id,
                    'incident' as link_type,
                    t.ticket_id as linked_id,
                    t.ticket_type as linked_kind,
                    t.priority,
                    t.service,
                    t.opened_at as started_at,
                    t.resolved_at as ended_at
                from ({_SELECTED}) as sel
                inner join staging.stg_raw__tickets as t on t.caused_by_change = sel.change_id
                union all
                select
                    sel.change_id,
                    'outage' as link_type,
                    o.outage_id as linked_id,
                    o.outage_type as linked_kind,
                    null as priority,
                    o.service,
                    o.started_at,
                    o.ended_at
                from ({_SELECTED}) as sel
                inner join staging.stg_raw__outages as o on o.change_id = sel.change_id
            """,
        ),
    ]


KIND = ExtractKind(
    name="changes",
    description="unauthorized, emergency and failed changes with linked incidents and outages",
    requires=("marts.fct_change", "staging.stg_raw__tickets", "staging.stg_raw__outages"),
    coverage_sql=f"select count(*) from marts.fct_change as c where {_IN_PERIOD}",
    datasets=_datasets,
)
