{#- The one "now" of the SLA engine: open clocks run until this instant. var('as_of') (a UTC timestamp)
    wins; otherwise the latest instant seen in the data (opened, responded, resolved, closed, any event),
    so rebuilding on the same inputs gives the same numbers (never the wall clock). -#}
with instants as (
    select greatest(max(opened_at), max(first_response_at), max(resolved_at), max(closed_at)) as at_
    from {{ ref('int_latest_tickets') }}
    union all
    select max(event_at) from {{ ref('int_ticket_events') }}
),

data_as_of as (
    select coalesce(max(at_), cast('{{ var("calendar_start_date") }}' as timestamp with time zone)) as as_of
    from instants
)

select
    {% if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as timestamp with time zone) as as_of,
        'var' as as_of_source
    {%- else -%}
        as_of,
        'data' as as_of_source
    {%- endif %}
from data_as_of
