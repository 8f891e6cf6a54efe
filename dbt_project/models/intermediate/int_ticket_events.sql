{#- The ticket event log read once for the SLA engine: the latest row per key (same rule as
    stg_raw__ticket_events) with only the fields and columns the engine needs, events stamped before the
    ticket's opening moved to opened_at (bad clocks), and event_no numbering each ticket's events of one
    field in time order. Reads raw directly, filtered to the tickets touched in this run before the
    latest-row window: DuckDB cannot push that filter through the staging view. -#}
{{ per_ticket_model('touched') }}
-- depends_on: {{ ref('stg_raw__ticket_events') }}
with latest as (
    select
        ticket_id,
        event_at,
        field,
        from_value,
        to_value
    from {{ source('raw', 'ticket_events') }}
    where
        field in ('state', 'priority', 'assignment_group')
        and {{ is_refreshed_ticket('ticket_id', 'touched') }}
    qualify {{ latest_row_per_key(['ticket_id', 'event_at', 'field']) }}
)

select
    e.ticket_id,
    e.field,
    greatest(e.event_at, t.opened_at) as event_at,
    e.from_value,
    e.to_value,
    row_number() over (partition by e.ticket_id, e.field order by e.event_at) as event_no
from latest as e
inner join {{ ref('int_latest_tickets') }} as t on e.ticket_id = t.ticket_id
