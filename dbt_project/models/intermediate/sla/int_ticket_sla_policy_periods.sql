{#- One row per ticket x SLA metric x stretch of constant priority, with the policy in force.
    The priority at opening is the first priority event's from_value (else tickets.priority); each
    field = 'priority' event starts a new stretch. The policy is the one for the ticket type, priority and
    metric with the latest valid_from on or before the opening date (as-of opened_at); a priority change
    re-selects it from the change on. calendar_id 'service' resolves to the service's support calendar, or
    var default_support_calendar when the service is unknown or has none. has_business_time is false when that
    calendar is not in seeds/calendars.csv or the ticket opened outside the calendars' date range (vars
    calendar_start_date .. calendar_end_date): such periods give no SLA clock (int_ticket_sla_spans) and the
    ticket is counted in marts.dq_unclassified_tickets (no_calendar), instead of null business times. -#}
with tickets as (
    select
        ticket_id,
        ticket_type,
        opened_at,
        priority,
        service
    from {{ refreshed_rows(ref('stg_raw__tickets')) }}
),

priority_events as (
    select
        ticket_id,
        event_at,
        from_value,
        to_value,
        event_no
    from {{ refreshed_rows(ref('int_ticket_events')) }}
    where field = 'priority'
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
),

-- The ticket's type, service and opening date on each period: the policy is chosen as of the opening date.
dated_periods as (
    select
        p.ticket_id,
        p.period_no,
        p.priority,
        p.valid_from,
        p.valid_to,
        t.ticket_type,
        t.service,
        t.opened_at,
        cast(t.opened_at as date) as opened_date
    from periods as p
    inner join tickets as t on p.ticket_id = t.ticket_id
),

-- The policies in force are resolved once per distinct ticket type, priority and opening date (a few thousand)
-- rather than per period: joining every period to every policy version of its type and priority before
-- filtering on the dates made 3-4 rows per kept row.
opening_combinations as (
    select distinct
        ticket_type,
        priority,
        opened_date
    from dated_periods
),

in_force as (
    select
        d.ticket_type,
        d.priority,
        d.opened_date,
        pol.metric,
        pol.policy_id,
        pol.target_minutes,
        pol.calendar_id,
        pol.pause_states
    from opening_combinations as d
    inner join policies as pol
        on d.ticket_type = pol.ticket_type
            and d.priority = pol.priority
            and d.opened_date >= pol.valid_from
            and (pol.valid_to is null or d.opened_date < pol.valid_to)
),

resolved as (
    select
        p.ticket_id,
        pol.metric,
        p.period_no,
        p.priority,
        p.valid_from,
        p.valid_to,
        p.opened_at,
        pol.policy_id,
        pol.target_minutes,
        pol.pause_states,
        case
            when pol.calendar_id = 'service'
                then coalesce(s.support_calendar_id, '{{ var("default_support_calendar") }}')
            else pol.calendar_id
        end as calendar_id
    from dated_periods as p
    inner join in_force as pol
        on p.ticket_type = pol.ticket_type
            and p.priority = pol.priority
            and p.opened_date = pol.opened_date
    left join {{ ref('services') }} as s on p.service = s.service
)

select
    ticket_id,
    metric,
    period_no,
    priority,
    valid_from,
    valid_to,
    policy_id,
    target_minutes,
    cast(target_minutes as bigint) * 60 as target_seconds,
    pause_states,
    calendar_id,
    -- business time exists only for a calendar of seeds/calendars.csv and inside the calendars' date range
    calendar_id in (select c.calendar_id from {{ ref('calendars') }} as c)
    and opened_at >= cast('{{ var("calendar_start_date") }}' as {{ type_instant() }})
    and opened_at < {{ dbt.dateadd('day', 1, "cast('" ~ var('calendar_end_date') ~ "' as " ~ type_instant() ~ ")") }}
        as has_business_time
from resolved
