{#- The explain trace: every piece of every SLA clock (ticket x metric x cycle), in order, with what it
    counted, what was paused, how much of it fell outside the calendar's hours, the clock before and after
    it, and the instant the target was crossed when that happened inside it. `itsm explain TICKET_ID` prints
    this for one ticket. fct_ticket_sla is the sum of these rows. -#}
with pieces as (
    select
        *,
        b_end - b_start as business_seconds,
        case when is_paused then 0 else b_end - b_start end as counted_seconds
    from {{ ref('int_ticket_sla_pieces') }}
),

-- One sort of the pieces: number them, run the clock and find the last one (pieces of a clock never share a start).
running as (
    select
        *,
        row_number() over by_start as piece_no,
        coalesce(sum(counted_seconds) over before_piece, 0) as counted_before_seconds,
        lead(piece_start) over by_start is null as is_last_piece
    from pieces
    window
        by_start as (partition by ticket_id, metric, cycle_no order by piece_start),
        before_piece as (
            partition by ticket_id, metric, cycle_no order by piece_start
            rows between unbounded preceding and 1 preceding
        )
),

-- The clock passes the target inside a counting piece: invert the calendar clock once for that piece.
crossing as (
    select
        r.ticket_id,
        r.metric,
        r.cycle_no,
        r.piece_no,
        {{ business_clock_instant('inv', 'r.b_start + r.target_seconds - r.counted_before_seconds') }} as crossed_at
    from running as r
    {{ business_clock_inverse_join('inv', 'r.calendar_id', 'r.b_start + r.target_seconds - r.counted_before_seconds') }}
    where
        not r.is_paused
        and r.counted_before_seconds <= r.target_seconds
        and (r.piece_end is null or r.counted_before_seconds + r.counted_seconds > r.target_seconds)
)

select
    r.ticket_id || ':' || r.metric || ':' || cast(r.cycle_no as {{ dbt.type_string() }}) as sla_id,
    r.ticket_id,
    r.metric,
    r.cycle_no,
    r.piece_no,
    r.state,
    case when r.is_paused then 'paused' else 'counted' end as clock,
    r.policy_id,
    r.priority,
    r.calendar_id,
    r.target_seconds,
    r.piece_start,
    r.piece_end,
    r.measured_end,
    r.calendar_seconds,
    r.business_seconds,
    r.calendar_seconds - r.business_seconds as outside_hours_seconds,
    r.counted_seconds,
    case when r.is_paused then r.business_seconds else 0 end as paused_seconds,
    r.counted_before_seconds,
    r.counted_before_seconds + r.counted_seconds as counted_after_seconds,
    r.pause_clamped,
    r.is_last_piece,
    -- Already past the (new) target when the piece starts (a priority change lowered it), else the crossing.
    case
        when r.counted_before_seconds > r.target_seconds then r.piece_start
        else c.crossed_at
    end as target_crossed_at
from running as r
left join crossing as c
    on r.ticket_id = c.ticket_id
        and r.metric = c.metric
        and r.cycle_no = c.cycle_no
        and r.piece_no = c.piece_no
