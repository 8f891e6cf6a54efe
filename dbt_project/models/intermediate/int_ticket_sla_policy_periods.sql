{#- One row per ticket x SLA metric x stretch of constant priority, with the policy in force.
    The priority at opening is the first priority event's from_value (else tickets.priority); each
    field = 'priority' event starts a new stretch. The policy is the one for the ticket type, priority and
    metric with the latest valid_from on or before the opening date (as-of opened_at); a priority change
    re-selects it from the change on. calendar_id 'service' resolves to the service's support calendar, or
    var default_support_calendar when the service is unknown or has none. -#}
{{ per_ticket_model('touched') }}
with tickets as (
    select
        ticket_id,
        ticket_type,
        opened_at,
        priority,
        service
    from {{ ref('int_latest_tickets') }}
    where {{ is_refreshed_ticket('ticket_id', 'touched') }}
),

priority_events as (
    select
        ticket_id,
        event_at,
        from_value,
        to_value,
        event_no
    from {{ ref('int_ticket_events') }}
    where {{ is_refreshed_ticket('ticket_id', 'touched') }} and field = 'priority'
),

stretches as (
    select
        t.ticket_id,
        0 as period_no,
        coalesce({{ dbt.safe_cast("e.from_value", "integer") }}, t.priority) as priority,
        t.opened_at as valid_from
    from tickets as t
    left join priority_events as e
        on t.ticket_id = e.ticket_id
            and e.event_no = 1

    union all

    select
        ticket_id,
        event_no,
        {{ dbt.safe_cast("to_value", "integer") }},
        event_at
    from priority_events
),

periods as (
    select
        ticket_id,
        period_no,
        priority,
        valid_from,
        lead(valid_from) over (partition by ticket_id order by period_no) as valid_to
    from stretches
),

-- Each policy version is in force from its valid_from until the next version of the same ticket type,
-- priority and metric (computed on the small seed, so tickets need one range join, no ranking).
policies as (
    select
        policy_id,
        ticket_type,
        priority,
        metric,
        target_minutes,
        calendar_id,
        coalesce(pause_states, '') as pause_states,
        valid_from,
        lead(valid_from) over (partition by ticket_type, priority, metric order by valid_from) as valid_to
    from {{ ref('sla_policies') }}
)

select
    p.ticket_id,
    pol.metric,
    p.period_no,
    p.priority,
    p.valid_from,
    p.valid_to,
    pol.policy_id,
    pol.target_minutes,
    cast(pol.target_minutes as bigint) * 60 as target_seconds,
    pol.pause_states,
    case
        when pol.calendar_id = 'service' then coalesce(s.support_calendar_id, '{{ var("default_support_calendar") }}')
        else pol.calendar_id
    end as calendar_id
from periods as p
inner join tickets as t on p.ticket_id = t.ticket_id
inner join policies as pol
    on t.ticket_type = pol.ticket_type
        and p.priority = pol.priority
        and pol.valid_from <= cast(t.opened_at as date)
        and (pol.valid_to is null or pol.valid_to > cast(t.opened_at as date))
left join {{ ref('services') }} as s on t.service = s.service
