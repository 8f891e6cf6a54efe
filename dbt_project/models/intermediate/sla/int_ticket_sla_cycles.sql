{#- One row per ticket x SLA metric x cycle: when the clock starts and stops (stop null = still running).
    response: one cycle from opened_at to first_response_at, or when missing the first move out of 'new' or
      first assignment-group event (whichever is first), or the resolution.
    resolution: cycle 1 starts at opened_at; each reopen (a terminal state -> an active state) starts the
      next cycle; a cycle stops at the next move into resolved / closed / cancelled. The last cycle stops at
      tickets.resolved_at when that is at or after its start (the export's own resolution time wins over the
      event log for the final stop); cycles never stop before they start.
    Histories that start mid-life (a snapshot log whose first known state, the first state event's
    from_value, is not 'new'): when that state is terminal, cycle 1 stops inside the first stretch - at the
    export's resolved_at (else closed_at) when it lies there, else where the stretch starts (nothing is known of
    the time before it), so a later reopen never leaves cycle 1 running; the response clock stops where the
    first stretch starts (the ticket was already picked up when first seen); a paused first state pauses the
    clock from the start (int_ticket_sla_spans). -#}
with tickets as (
    select
        ticket_id,
        opened_at,
        first_response_at,
        resolved_at,
        closed_at,
        state
    from {{ refreshed_rows(ref('stg_raw__tickets')) }}
),

stretches as (
    select * from {{ refreshed_rows(ref('int_ticket_state_intervals')) }}
),

-- Resolution clock: starts (opened, reopens) and stops (active -> terminal), in time order.
resolution_marks as (
    select
        ticket_id,
        opened_at as mark_at,
        0 as mark_order,
        'start' as mark_kind,
        cast(null as {{ dbt.type_string() }}) as stop_state
    from tickets

    union all

    select
        ticket_id,
        valid_from as mark_at,
        stretch_no as mark_order,
        'start' as mark_kind,
        null as stop_state
    from stretches
    where not is_terminal and previous_state in ('resolved', 'closed', 'cancelled')

    union all

    select
        ticket_id,
        valid_from as mark_at,
        stretch_no as mark_order,
        'stop' as mark_kind,
        state as stop_state
    from stretches
    where is_terminal and stretch_no > 0 and coalesce(previous_state, 'new') not in ('resolved', 'closed', 'cancelled')

    union all

    -- the first known state is already terminal: cycle 1 stops inside that first stretch
    select
        s.ticket_id,
        case
            when t.resolved_at >= s.valid_from and (s.valid_to is null or t.resolved_at <= s.valid_to)
                then t.resolved_at
            when t.closed_at >= s.valid_from and (s.valid_to is null or t.closed_at <= s.valid_to)
                then t.closed_at
            else s.valid_from
        end as mark_at,
        0 as mark_order,
        'stop' as mark_kind,
        s.state as stop_state
    from stretches as s
    inner join tickets as t on s.ticket_id = t.ticket_id
    where s.stretch_no = 0 and s.is_terminal
),

resolution_ordered as (
    select
        ticket_id,
        mark_at,
        mark_kind,
        -- a start sorts before a stop of the same instant and order (cycle 1 of a ticket first seen terminal)
        lead(mark_kind) over (partition by ticket_id order by mark_at, mark_order, mark_kind) as next_kind,
        lead(mark_at) over (partition by ticket_id order by mark_at, mark_order, mark_kind) as next_at,
        lead(stop_state) over (partition by ticket_id order by mark_at, mark_order, mark_kind) as next_stop_state,
        mark_order
    from resolution_marks
),

resolution_cycles as (
    select
        ticket_id,
        row_number() over (partition by ticket_id order by mark_at, mark_order, mark_kind) as cycle_no,
        count(*) over (partition by ticket_id) as cycle_count,
        mark_at as started_at,
        case when next_kind = 'stop' then next_at end as event_stopped_at,
        case when next_kind = 'stop' then next_stop_state end as event_stop_state
    from resolution_ordered
    where mark_kind = 'start'
),

resolution as (
    select
        c.ticket_id,
        'resolution' as metric,
        c.cycle_no,
        c.started_at,
        case
            when c.cycle_no = c.cycle_count and t.resolved_at >= c.started_at then t.resolved_at
            when c.event_stopped_at is not null then c.event_stopped_at
            when c.cycle_no = c.cycle_count and t.state in ('closed', 'cancelled') and t.closed_at >= c.started_at
                then t.closed_at
        end as stopped_at,
        case
            when c.cycle_no = c.cycle_count and t.resolved_at >= c.started_at
                then coalesce(c.event_stop_state, 'resolved')
            when c.event_stopped_at is not null then c.event_stop_state
            when c.cycle_no = c.cycle_count and t.state in ('closed', 'cancelled') and t.closed_at >= c.started_at
                then t.state
        end as stop_state
    from resolution_cycles as c
    inner join tickets as t on c.ticket_id = t.ticket_id
),

-- Response clock: the export's first response, else the first sign that someone picked the ticket up
-- (a history first seen in another state than 'new' was picked up before it was first seen).
first_pickup as (
    select
        ticket_id,
        min(case when field = 'state' and to_value != 'new' then event_at end) as first_out_of_new_at,
        min(case when field = 'assignment_group' and to_value is not null then event_at end)
            as first_assignment_at
    from {{ refreshed_rows(ref('int_ticket_events')) }}
    group by ticket_id
),

first_seen_picked_up as (
    select
        ticket_id,
        valid_from as picked_up_at
    from stretches
    where stretch_no = 0 and state != 'new'
),

first_stop as (
    select
        ticket_id,
        stopped_at as first_stopped_at,
        stop_state as first_stop_state
    from resolution
    where cycle_no = 1
),

response_candidates as (
    select
        t.ticket_id,
        t.opened_at,
        coalesce(
            t.first_response_at,
            least(f.picked_up_at, p.first_out_of_new_at, p.first_assignment_at),
            t.resolved_at,
            s.first_stopped_at
        ) as responded_at,
        case
            when
                t.first_response_at is not null
                or least(f.picked_up_at, p.first_out_of_new_at, p.first_assignment_at) is not null
                then 'responded'
            when t.resolved_at is not null then 'resolved'
            else s.first_stop_state
        end as stop_state
    from tickets as t
    left join first_pickup as p on t.ticket_id = p.ticket_id
    left join first_seen_picked_up as f on t.ticket_id = f.ticket_id
    left join first_stop as s on t.ticket_id = s.ticket_id
),

response as (
    select
        ticket_id,
        'response' as metric,
        1 as cycle_no,
        opened_at as started_at,
        -- Never before the opening (bad clocks); greatest() would skip a null, so test it first.
        case when responded_at is not null then greatest(opened_at, responded_at) end as stopped_at,
        stop_state
    from response_candidates
)

select
    ticket_id,
    metric,
    cycle_no,
    started_at,
    stopped_at,
    stop_state
from resolution

union all

select
    ticket_id,
    metric,
    cycle_no,
    started_at,
    stopped_at,
    stop_state
from response
