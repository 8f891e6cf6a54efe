{#- The one "now" of a run: open SLA clocks, backlog ages and open outages are measured until this instant.
    var('as_of') (a UTC timestamp) wins; else the latest export instant of the loads with status 'loaded'
    (raw.load_log.exported_at, macros/export_as_of.sql), never a timestamp inside the data, so one mistyped
    future date cannot move it and rebuilding on the same inputs gives the same numbers (never the wall clock).
    Only a warehouse with no load recorded (raw rows written by hand, not by the loader) falls back to the latest
    instant in the data. -#}
with instants as (
    select greatest(max(opened_at), max(first_response_at), max(resolved_at), max(closed_at)) as at_
    from {{ ref('stg_raw__tickets') }}
    union all
    select max(event_at) from {{ ref('int_ticket_events') }}
),

candidates as (
    select
        {{ export_as_of() }} as export_as_of,
        coalesce(max(at_), cast('{{ var("calendar_start_date") }}' as {{ type_instant() }})) as data_as_of
    from instants
)

select
    {% if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as {{ type_instant() }}) as as_of,
        'var' as as_of_source
    {%- else -%}
        coalesce(export_as_of, data_as_of) as as_of,
        case when export_as_of is not null then 'export' else 'data' end as as_of_source
    {%- endif %}
from candidates
