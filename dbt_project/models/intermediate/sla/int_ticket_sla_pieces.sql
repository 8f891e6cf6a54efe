{#- The SLA clock pieces (int_ticket_sla_spans) measured up to measured_end (the piece's end, or int_sla_as_of
    for a still-running piece), with the policy calendar's business clock at both ends: business seconds of a
    piece = b_end - b_start, one clock lookup per endpoint (never a per-day explosion).
    Ephemeral: inlined into fct_sla_explain, which saves writing and re-reading millions of rows. -#}
-- Only the tickets refreshed in this run; filtered here, before the clock lookups, not in fct_sla_explain.
with spans as (
    select * from {{ refreshed_rows(ref('int_ticket_sla_spans')) }}
),

measured as (
    select
        s.*,
        coalesce(s.piece_end, greatest(s.piece_start, a.as_of)) as measured_end
    from spans as s
    cross join {{ ref('int_sla_as_of') }} as a
)

select
    m.ticket_id,
    m.metric,
    m.cycle_no,
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
