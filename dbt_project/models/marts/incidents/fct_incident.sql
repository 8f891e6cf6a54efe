{#- One row per incident: calendar and business resolution times, first response, reassignments,
    reopens, first-contact resolution and the SLA outcome. Reopens and reassignments are facts of the ticket's
    own history, independent of SLA policies: counted from its state and assignment-group events, and from the
    export's own counters (reopen_count, reassignment_count) where it carries them; the larger of the two is
    used, because a snapshot log misses changes made between two snapshots (kpi_ticket_counter_reconciliation
    reports the difference). -#}
with tickets as (
    select * from {{ refreshed_rows(ref('stg_raw__tickets')) }}
    where ticket_type = 'incident'
),

assignment_events as (
    select
        ticket_id,
        event_at,
        from_value,
        to_value,
        event_no
    from {{ refreshed_rows(ref('int_ticket_events')) }}
    where field = 'assignment_group'
),

assignments as (
    select
        ticket_id,
        count(*) as assignment_events,
        -- The first assignment is not a reassignment: only moves from one group to another count.
        cast(sum(case when from_value is not null and from_value != coalesce(to_value, '') then 1 else 0 end) as bigint)
            as reassignments,
        max(case when event_no = 1 then coalesce(from_value, to_value) end) as first_group
    from assignment_events
    group by ticket_id
),

-- A reopen is a move from a terminal state back to an active one (the same moves start a new SLA cycle).
reopened as (
    select
        ticket_id,
        count(*) as reopens
    from {{ refreshed_rows(ref('int_ticket_state_intervals')) }}
    where
        not is_terminal and previous_state in ('resolved', 'closed', 'cancelled')
    group by ticket_id
),

outcome as (
    select * from {{ refreshed_rows(ref('fct_ticket_sla_outcome')) }}
),

base as (
    select
        t.*,
        t.state in ('resolved', 'closed') and t.resolved_at is not null as is_resolved,
        coalesce(o.resolution_calendar_id, s.support_calendar_id, '{{ var("default_support_calendar") }}')
            as business_calendar_id,
        coalesce(a.reassignments, 0) as reassignments_from_history,
        cast(t.reassignment_count as bigint) as reassignments_from_source,
        cast(coalesce(r.reopens, 0) as bigint) as reopens_from_history,
        cast(t.reopen_count as bigint) as reopens_from_source,
        greatest(coalesce(a.reassignments, 0), coalesce(cast(t.reassignment_count as bigint), 0)) as reassignments,
        greatest(coalesce(cast(r.reopens as bigint), 0), coalesce(cast(t.reopen_count as bigint), 0)) as reopens,
        coalesce(a.first_group, t.assignment_group) as first_assignment_group,
        o.responded_at,
        o.is_responded,
        o.response_business_seconds,
        o.response_policy_id,
        o.response_sla_state,
        o.response_breached,
        o.resolution_policy_id,
        o.resolution_sla_state,
        o.resolution_breached,
        o.resolution_cycles,
        o.resolution_sla_business_seconds,
        o.resolution_paused_business_seconds
    from tickets as t
    left join assignments as a on t.ticket_id = a.ticket_id
    left join reopened as r on t.ticket_id = r.ticket_id
    left join outcome as o on t.ticket_id = o.ticket_id
    left join {{ ref('services') }} as s on t.service = s.service
)

select
    b.ticket_id,
    b.opened_at,
    b.responded_at,
    b.resolved_at,
    b.closed_at,
    b.state,
    b.priority,
    b.service,
    b.ci,
    b.category,
    b.subcategory,
    b.assignment_group,
    b.first_assignment_group,
    b.channel,
    b.is_resolved,
    b.business_calendar_id,
    case
        when b.is_resolved then ({{ epoch_seconds('b.resolved_at') }} - {{ epoch_seconds('b.opened_at') }}) / 3600.0
    end as resolve_calendar_hours,
    case
        when b.is_resolved
            then (
                {{ business_clock_at('clk_resolved', 'b.resolved_at') }}
                - {{ business_clock_at('clk_opened', 'b.opened_at') }}
            ) / 3600.0
    end as resolve_business_hours,
    case when b.is_resolved then b.resolution_sla_business_seconds / 3600.0 end as resolve_sla_business_hours,
    b.resolution_paused_business_seconds / 3600.0 as paused_business_hours,
    case
        when b.is_responded
            then ({{ epoch_seconds('b.responded_at') }} - {{ epoch_seconds('b.opened_at') }}) / 60.0
    end as response_calendar_minutes,
    case when b.is_responded then b.response_business_seconds / 60.0 end as response_business_minutes,
    b.reassignments,
    b.reopens,
    b.reassignments_from_history,
    b.reassignments_from_source,
    b.reopens_from_history,
    b.reopens_from_source,
    b.is_resolved and b.reassignments = 0 and b.reopens = 0 as is_first_contact_resolution,
    b.is_resolved and b.assignment_group = b.first_assignment_group as is_resolved_by_first_group,
    b.response_policy_id,
    b.response_sla_state,
    b.response_breached,
    b.resolution_policy_id,
    b.resolution_sla_state,
    b.resolution_breached,
    b.resolution_cycles,
    b.source_made_sla
from base as b
{{ business_clock_join('clk_opened', 'b.business_calendar_id', 'b.opened_at') }}
{{ business_clock_join('clk_resolved', 'b.business_calendar_id', 'b.resolved_at') }}
