{#- The reporting range of the availability marts: from the first day of the first month with any activity
    (outage, change, ticket, survey) to the as-of day. as_of is the run's "now", as in int_sla_as_of: var('as_of')
    when set, else the latest export instant of the loaded files (macros/export_as_of.sql), never a timestamp
    inside the data: open outages run until as_of and rebuilding on the same inputs gives the same numbers. Only
    a warehouse with no load recorded (raw rows written by hand) falls back to the latest instant in the data. -#}
with instants as (
    select
        min(started_at) as first_at,
        greatest(max(started_at), max(ended_at)) as last_at
    from {{ ref('int_outage_intervals') }}
    where quality_status = 'ok'
    union all
    select
        min(requested_at) as first_at,
        greatest(max(requested_at), max(actual_end)) as last_at
    from {{ ref('stg_raw__changes') }}
    union all
    select
        min(opened_at) as first_at,
        greatest(max(opened_at), max(resolved_at), max(closed_at)) as last_at
    from {{ ref('stg_raw__tickets') }}
    union all
    select
        min(sent_at) as first_at,
        greatest(max(sent_at), max(responded_at)) as last_at
    from {{ ref('stg_raw__surveys') }}
),

bounds as (
    select
        {% if var('as_of', none) -%}
            cast('{{ var("as_of") }}' as {{ type_instant() }}) as as_of,
        {%- else -%}
            coalesce(
                {{ export_as_of() }},
                max(last_at),
                cast('{{ var("calendar_start_date") }}' as {{ type_instant() }})
            ) as as_of,
        {%- endif %}
        min(first_at) as first_at
    from instants
)

select
    as_of,
    cast(date_trunc('month', coalesce(first_at, as_of)) as date) as first_day,
    -- the last UTC day that has begun before as_of: an export taken at midnight ends the day before, so a month
    -- with no elapsed time (a change merely planned in it) is not a reporting month yet
    {{ utc_date('as_of - interval 1 microsecond') }} as last_day
from bounds
