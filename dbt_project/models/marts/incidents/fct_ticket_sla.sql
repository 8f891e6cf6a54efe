{#- One row per ticket x SLA metric (response, resolution) x cycle: the policy that applied, the clock's
    start and stop, business time counted and paused, when the target was crossed, and the outcome.
    Built from the explain trace, so every number here can be traced piece by piece. -#}
with cycles as (
    select * from {{ refreshed_rows(ref('int_ticket_sla_cycles')) }}
),

-- Only periods with business time, as in int_ticket_sla_spans: no clock without a usable calendar.
periods as (
    select * from {{ refreshed_rows(ref('int_ticket_sla_policy_periods')) }}
    where has_business_time
),

trace as (
    select * from {{ refreshed_rows(ref('fct_sla_explain')) }}
),

tickets as (
    select
        ticket_id,
        ticket_type
    from {{ refreshed_rows(ref('stg_raw__tickets')) }}
),

as_of as (
    select as_of from {{ ref('int_sla_as_of') }}
),

-- One pass over the trace: sums, first crossing, and the last piece's policy (the one in force at the stop).
totals as (
    select
        ticket_id,
        metric,
        cycle_no,
        sum(counted_seconds) as elapsed_business_seconds,
        sum(paused_seconds) as paused_business_seconds,
        min(target_crossed_at) as breach_at,
        min(policy_id) != max(policy_id) as policy_changed,
        {{ dbt.bool_or('pause_clamped') }} as pause_clamped,
        max(case when is_last_piece then policy_id end) as policy_id,
        max(case when is_last_piece then priority end) as priority,
        max(case when is_last_piece then calendar_id end) as calendar_id,
        max(case when is_last_piece then target_seconds end) as target_seconds
    from trace
    group by ticket_id, metric, cycle_no
),

-- The policy in force when the clock started (also the only one for a clock that stopped at once).
initial_policy as (
    select
        c.ticket_id,
        c.metric,
        c.cycle_no,
        p.policy_id,
        p.priority,
        p.calendar_id,
        p.target_seconds
    from cycles as c
    inner join periods as p
        on c.ticket_id = p.ticket_id
            and c.metric = p.metric
            and c.started_at >= p.valid_from
            and (p.valid_to is null or c.started_at < p.valid_to)
),

joined as (
    select
        c.ticket_id,
        tk.ticket_type,
        c.metric,
        c.cycle_no,
        coalesce(s.policy_id, i.policy_id) as policy_id,
        i.policy_id as initial_policy_id,
        coalesce(s.policy_changed, false) as policy_changed,
        coalesce(s.priority, i.priority) as priority,
        coalesce(s.calendar_id, i.calendar_id) as calendar_id,
        coalesce(s.target_seconds, i.target_seconds) as target_seconds,
        c.started_at,
        c.stopped_at,
        c.stop_state,
        coalesce(s.elapsed_business_seconds, 0) as elapsed_business_seconds,
        coalesce(s.paused_business_seconds, 0) as paused_business_seconds,
        {{ epoch_seconds('coalesce(c.stopped_at, greatest(c.started_at, a.as_of))') }}
        - {{ epoch_seconds('c.started_at') }} as elapsed_calendar_seconds,
        s.breach_at,
        coalesce(s.pause_clamped, false) as pause_clamped,
        a.as_of
    from cycles as c
    inner join initial_policy as i
        on c.ticket_id = i.ticket_id
            and c.metric = i.metric
            and c.cycle_no = i.cycle_no
    inner join tickets as tk on c.ticket_id = tk.ticket_id
    left join totals as s
        on c.ticket_id = s.ticket_id
            and c.metric = s.metric
            and c.cycle_no = s.cycle_no
    cross join as_of as a
),

outcome as (
    select
        *,
        coalesce(breach_at < coalesce(stopped_at, as_of), false) as breached
    from joined
)

select
    ticket_id || ':' || metric || ':' || cast(cycle_no as {{ dbt.type_string() }}) as sla_id,
    ticket_id,
    ticket_type,
    metric,
    cycle_no,
    policy_id,
    initial_policy_id,
    policy_changed,
    priority,
    calendar_id,
    cast(target_seconds / 60 as integer) as target_minutes,
    target_seconds,
    started_at,
    stopped_at,
    stop_state,
    elapsed_business_seconds,
    paused_business_seconds,
    elapsed_calendar_seconds,
    breach_at,
    breached,
    case
        when stop_state = 'cancelled' then 'cancelled'
        when breached then 'breached'
        when stopped_at is not null then 'met'
        else 'in_progress'
    end as sla_state,
    case when stopped_at is null then target_seconds - elapsed_business_seconds end as time_left_business_seconds,
    pause_clamped,
    -- Only a running clock depends on as_of; a stopped one keeps its numbers (and its row) across runs.
    case when stopped_at is null then as_of end as as_of
from outcome
