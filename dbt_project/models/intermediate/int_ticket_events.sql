{#- The ticket event log read once for the SLA engine: the latest row per key (staging) with only the
    columns the engine needs, events stamped before the ticket's opening moved to opened_at (bad clocks),
    and event_no numbering each ticket's events of one field in time order. Materialized once because the
    staging view deduplicates millions of rows on every read. -#}
select
    e.ticket_id,
    e.field,
    greatest(e.event_at, t.opened_at) as event_at,
    e.from_value,
    e.to_value,
    row_number() over (partition by e.ticket_id, e.field order by e.event_at) as event_no
from {{ ref('stg_raw__ticket_events') }} as e
inner join {{ ref('stg_raw__tickets') }} as t on e.ticket_id = t.ticket_id
where e.field in ('state', 'priority', 'assignment_group')
