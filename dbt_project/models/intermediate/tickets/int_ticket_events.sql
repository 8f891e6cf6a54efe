{#- The ticket event log read once for the SLA engine: the latest row per key (ticket, event_at, field: same
    rule as stg_raw__ticket_events) with only the fields and columns the engine needs, events stamped before the
    ticket's opening moved to opened_at (bad clocks), and event_no ordering each ticket's events of one field
    in time order (1 = first; a superseded version of an event leaves a gap). Reads raw rather than the staging view
    so the ticket filter of an incremental run applies before the window. One window both deduplicates and
    numbers: within one event_at the newest version sorts first, so the first row of each event_at is the latest
    version and its row number is event_no. -#}
-- depends_on: {{ ref('stg_raw__ticket_events') }}
with versions as (
    select
        ticket_id,
        event_at,
        field,
        from_value,
        to_value,
        row_number() over by_time as event_no,
        lag(event_at) over by_time as previous_event_at
    from {{ refreshed_rows(source('raw', 'ticket_events')) }}
    where
        field in ('state', 'priority', 'assignment_group')
    window by_time as (partition by ticket_id, field order by event_at asc, _load_id desc, _row_number desc)
),

latest as (
    select * from versions
    where previous_event_at is distinct from event_at
)

select
    e.ticket_id,
    e.field,
    greatest(e.event_at, t.opened_at) as event_at,
    e.from_value,
    e.to_value,
    e.event_no
from latest as e
inner join {{ ref('stg_raw__tickets') }} as t on e.ticket_id = t.ticket_id
