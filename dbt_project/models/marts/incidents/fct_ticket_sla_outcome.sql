{#- One row per ticket with an SLA: the response clock and the resolution clock summed over its cycles.
    Resolution is breached when any cycle breached; in_progress while the last cycle runs; cancelled when
    every cycle was cancelled; met otherwise. -#}
with sla as (
    select * from {{ refreshed_rows(ref('fct_ticket_sla')) }}
),

response as (
    select
        ticket_id,
        policy_id as response_policy_id,
        stopped_at as responded_at,
        -- MTTA measures a real response (first response, first assignment or move out of 'new'); the response
        -- clock also stops at resolution for a ticket nobody picked up, which is not a response time.
        stop_state = 'responded' as is_responded,
        elapsed_business_seconds as response_business_seconds,
        breached as response_breached,
        sla_state as response_sla_state
    from sla
    where metric = 'response'
),

resolution as (
    select
        ticket_id,
        count(*) as resolution_cycles,
        sum(elapsed_business_seconds) as resolution_sla_business_seconds,
        sum(paused_business_seconds) as resolution_paused_business_seconds,
        max(case when breached then 1 else 0 end) = 1 as resolution_breached,
        max(case when sla_state = 'in_progress' then 1 else 0 end) = 1 as resolution_running,
        min(case when sla_state = 'cancelled' then 1 else 0 end) = 1 as resolution_all_cancelled,
        max(cycle_no) as last_cycle_no
    from sla
    where metric = 'resolution'
    group by ticket_id
),

last_cycle as (
    select
        s.ticket_id,
        s.policy_id as resolution_policy_id,
        s.calendar_id as resolution_calendar_id
    from sla as s
    inner join resolution as r
        on s.ticket_id = r.ticket_id
            and s.cycle_no = r.last_cycle_no
    where s.metric = 'resolution'
)

select
    r.ticket_id,
    p.response_policy_id,
    p.responded_at,
    p.is_responded,
    p.response_business_seconds,
    p.response_breached,
    p.response_sla_state,
    l.resolution_policy_id,
    l.resolution_calendar_id,
    r.resolution_cycles,
    r.resolution_sla_business_seconds,
    r.resolution_paused_business_seconds,
    r.resolution_breached,
    case
        -- same order as fct_ticket_sla: a cancelled ticket leaves the attainment denominator
        when r.resolution_all_cancelled then 'cancelled'
        when r.resolution_breached then 'breached'
        when r.resolution_running then 'in_progress'
        else 'met'
    end as resolution_sla_state
from resolution as r
inner join last_cycle as l on r.ticket_id = l.ticket_id
left join response as p on r.ticket_id = p.ticket_id
