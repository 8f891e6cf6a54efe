{#- Explicit links only: an incident names the change in tickets.caused_by_change, an outage names it in
    outages.change_id. Timing coincidences are never treated as causation. One row per linked change. -#}
with incidents as (
    select
        caused_by_change as change_id,
        ticket_id,
        priority
    from {{ ref('stg_raw__tickets') }}
    where ticket_type = 'incident' and caused_by_change is not null
),

incident_links as (
    select
        change_id,
        count(distinct ticket_id) as linked_incidents,
        count(distinct case when priority = 1 then ticket_id end) as linked_incidents_p1,
        count(distinct case when priority = 2 then ticket_id end) as linked_incidents_p2,
        count(distinct case when priority = 3 then ticket_id end) as linked_incidents_p3,
        count(distinct case when priority = 4 then ticket_id end) as linked_incidents_p4
    from incidents
    group by change_id
),

outage_links as (
    -- Planned windows also carry change_id (the change they implement); only unplanned impact
    -- (full outages and degradations) is evidence that a change failed.
    select
        change_id,
        count(distinct outage_id) as linked_unplanned_outages,
        -- open or inverted intervals add no hours here (they are flagged in int_outage_intervals)
        coalesce(sum(
            case when ended_at >= started_at then ({{ epoch_seconds('ended_at') }} - {{ epoch_seconds('started_at') }}) end
            * case when outage_type = 'degradation' then coalesce(impact_pct, 100) / 100.0 else 1.0 end
        ), 0) / 3600.0 as caused_outage_hours
    from {{ ref('stg_raw__outages') }}
    where
        change_id is not null
        and outage_type in ('unplanned', 'degradation')
    group by change_id
),

linked_ids as (
    select change_id from incident_links
    union
    select change_id from outage_links
)

select
    ids.change_id,
    coalesce(i.linked_incidents, 0) as linked_incidents,
    coalesce(i.linked_incidents_p1, 0) as linked_incidents_p1,
    coalesce(i.linked_incidents_p2, 0) as linked_incidents_p2,
    coalesce(i.linked_incidents_p3, 0) as linked_incidents_p3,
    coalesce(i.linked_incidents_p4, 0) as linked_incidents_p4,
    coalesce(o.linked_unplanned_outages, 0) as linked_unplanned_outages,
    coalesce(o.caused_outage_hours, 0) as caused_outage_hours
from linked_ids as ids
left join incident_links as i on ids.change_id = i.change_id
left join outage_links as o on ids.change_id = o.change_id
