{#- The SLA clock pieces (int_ticket_sla_spans) with the policy calendar's business clock at both ends:
    business seconds of a piece = b_end - b_start, one clock lookup per endpoint (never a per-day explosion).
    Ephemeral: inlined into fct_sla_explain, which saves writing and re-reading millions of rows. -#}
{{ config(materialized='ephemeral') }}
select
    m.ticket_id,
    m.metric,
    m.cycle_no,
    m.piece_no,
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
from {{ ref('int_ticket_sla_spans') }} as m
{{ business_clock_join('clock_start', 'm.calendar_id', 'm.piece_start') }}
{{ business_clock_join('clock_end', 'm.calendar_id', 'm.measured_end') }}
-- Only the tickets refreshed in this run; filtered here, before the clock lookups, not in fct_sla_explain.
where {{ is_refreshed_ticket('m.ticket_id') }}
