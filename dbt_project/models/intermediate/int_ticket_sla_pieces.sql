{#- The SLA clock cut into pieces: each cycle (int_ticket_sla_cycles) intersected with the ticket's state
    stretches and policy periods, so every piece has one state and one policy. A piece is paused when its
    state is one of the policy's pause states. Business seconds come from the policy calendar's clock:
    B(end) - B(start), one ASOF lookup per endpoint (never a per-day explosion). A still-running piece
    (no end) is measured up to int_sla_as_of. pause_clamped flags a paused stretch that the data says
    continued past the cycle's stop (bad data: the pause is cut at the stop). -#}
with cycles as (
    select * from {{ ref('int_ticket_sla_cycles') }}
),

stretches as (
    select * from {{ ref('int_ticket_state_intervals') }}
),

periods as (
    select * from {{ ref('int_ticket_sla_policy_periods') }}
),

as_of as (
    select as_of from {{ ref('int_sla_as_of') }}
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

measured as (
    select
        pieces.*,
        coalesce(pieces.piece_end, greatest(pieces.piece_start, a.as_of)) as measured_end,
        pieces.metric = 'resolution' and pieces.is_paused and pieces.runs_past_stop as pause_clamped
    from pieces
    cross join as_of as a
    where pieces.piece_end is null or pieces.piece_end > pieces.piece_start
)

select
    m.ticket_id,
    m.metric,
    m.cycle_no,
    row_number() over (partition by m.ticket_id, m.metric, m.cycle_no order by m.piece_start) as piece_no,
    m.state,
    m.is_paused,
    m.policy_id,
    m.priority,
    m.target_seconds,
    m.calendar_id,
    m.piece_start,
    m.piece_end,
    m.measured_end,
    m.pause_clamped,
    {{ business_clock_at('clock_start', 'm.piece_start') }} as b_start,
    {{ business_clock_at('clock_end', 'm.measured_end') }} as b_end,
    {{ epoch_seconds('m.measured_end') }} - {{ epoch_seconds('m.piece_start') }} as calendar_seconds
from measured as m
{{ business_clock_join('clock_start', 'm.calendar_id', 'm.piece_start') }}
{{ business_clock_join('clock_end', 'm.calendar_id', 'm.measured_end') }}
