{#- One row per change request with its outcome, timing, authorization and explicitly linked impact. -#}
with changes as (
    select * from {{ ref('stg_raw__changes') }}
),

links as (
    select * from {{ ref('int_change_links') }}
),

classified as (
    select
        c.change_id,
        c.change_type,
        c.risk,
        c.service,
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
        -- the month a change is reported in: when it finished, else started, else was planned or raised
        cast(date_trunc('month', coalesce(c.actual_end, c.actual_start, c.planned_start, c.requested_at)) as date)
            as change_month,
        coalesce(c.close_code = 'cancelled', false) as is_cancelled,
        -- implemented = work actually started and the change was not cancelled
        (c.actual_start is not null and coalesce(c.close_code, '') <> 'cancelled') as is_implemented,
        coalesce(c.close_code in ('successful', 'successful_with_issues', 'unsuccessful', 'backed_out'), false)
            as has_outcome,
        coalesce(c.close_code = 'successful', false) as is_successful,
        coalesce(c.close_code = 'successful_with_issues', false) as is_successful_with_issues,
        coalesce(c.close_code in ('unsuccessful', 'backed_out'), false) as is_failed_or_backed_out,
        c.change_type = 'emergency' as is_emergency,
        ({{ epoch_seconds('c.actual_end') }} - {{ epoch_seconds('c.requested_at') }}) / 3600.0 as lead_time_hours,
        ({{ epoch_seconds('c.actual_end') }} - {{ epoch_seconds('c.actual_start') }}) / 3600.0 as implementation_hours,
        ({{ epoch_seconds('c.planned_end') }} - {{ epoch_seconds('c.planned_start') }}) / 3600.0 as planned_window_hours,
        greatest(({{ epoch_seconds('c.actual_end') }} - {{ epoch_seconds('c.planned_end') }}), 0) / 3600.0 as overrun_hours,
        coalesce(i.linked_incidents, 0) as linked_incidents,
        coalesce(i.linked_incidents_p1, 0) as linked_incidents_p1,
        coalesce(i.linked_incidents_p2, 0) as linked_incidents_p2,
        coalesce(i.linked_incidents_p3, 0) as linked_incidents_p3,
        coalesce(i.linked_incidents_p4, 0) as linked_incidents_p4,
        coalesce(i.linked_unplanned_outages, 0) as linked_unplanned_outages,
        coalesce(i.caused_outage_hours, 0) as caused_outage_hours
    from changes as c
    left join links as i on c.change_id = i.change_id
)

select
    *,
    -- Standard changes are pre-authorized by their model: without an approval timestamp they are authorized.
    -- Any other implemented change needs approved_at, and must not start before it.
    is_implemented and case
        when approved_at is null then change_type <> 'standard'
        else actual_start < approved_at
    end as is_unauthorized,
    is_implemented and (linked_incidents > 0 or linked_unplanned_outages > 0) as is_change_failure,
    coalesce(actual_end > planned_end, false) as overran_planned_window
from classified
