{#- The SLA clock cut into spans: each cycle (int_ticket_sla_cycles) intersected with the ticket's state
    stretches and policy periods, so every span has one state and one policy. A span is paused when its
    state is one of the policy's pause states. A still-running span has no end (piece_end null):
    int_ticket_sla_pieces measures it up to int_sla_as_of, so spans do not change while a clock runs.
    pause_clamped flags a paused stretch that the data says continued past the cycle's stop (bad data: the
    pause is cut at the stop). Kept apart from the clock lookups of int_ticket_sla_pieces: DuckDB plans
    the range joins and the clock joins badly as one query (DECISIONLOG.md). Pieces are numbered in
    fct_sla_explain, in the same window pass as its running totals (one sort of the pieces instead of two). -#}
with cycles as (
    select * from {{ refreshed_rows(ref('int_ticket_sla_cycles')) }}
),

stretches as (
    select * from {{ refreshed_rows(ref('int_ticket_state_intervals')) }}
),

-- Periods without business time (unknown calendar, opened outside the calendars' range) give no clock; the
-- ticket is counted in marts.dq_unclassified_tickets instead.
periods as (
    select * from {{ refreshed_rows(ref('int_ticket_sla_policy_periods')) }}
    where has_business_time
),

pieces as (
    select
        c.ticket_id,
        c.metric,
        c.cycle_no,
        s.stretch_no,
        p.period_no,
        s.state,
        p.policy_id,
        p.priority,
        p.target_seconds,
        p.calendar_id,
        (';' || p.pause_states || ';') like ('%;' || s.state || ';%') as is_paused,
        greatest(c.started_at, s.valid_from, p.valid_from) as piece_start,
        -- least() skips nulls here: a piece is open only when cycle, stretch and period all are.
        case
            when c.stopped_at is not null or s.valid_to is not null or p.valid_to is not null
                then least(c.stopped_at, s.valid_to, p.valid_to)
        end as piece_end,
        c.stopped_at is not null and (s.valid_to is null or s.valid_to > c.stopped_at) as runs_past_stop
    from cycles as c
    inner join stretches as s
        on c.ticket_id = s.ticket_id
            and (c.stopped_at is null or c.stopped_at > s.valid_from)
            and (s.valid_to is null or c.started_at < s.valid_to)
    inner join periods as p
        on c.ticket_id = p.ticket_id
            and c.metric = p.metric
            and (c.stopped_at is null or c.stopped_at > p.valid_from)
            and (p.valid_to is null or c.started_at < p.valid_to)
            and (s.valid_to is null or s.valid_to > p.valid_from)
            and (p.valid_to is null or s.valid_from < p.valid_to)
),

kept as (
    select
        *,
        metric = 'resolution' and is_paused and runs_past_stop as pause_clamped
    from pieces
    where piece_end is null or piece_end > piece_start
)

select
    ticket_id,
    metric,
    cycle_no,
    state,
    is_paused,
    policy_id,
    priority,
    target_seconds,
    calendar_id,
    piece_start,
    piece_end,
    pause_clamped
from kept
