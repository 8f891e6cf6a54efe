{#- The tickets the per-ticket models recompute in this run (macros/ticket_refresh.sql): every ticket when
    int_ticket_refresh_bounds says so, else those with raw rows from newer loads (is_touched) plus those whose
    SLA clock was still running in the previous build (their elapsed time and state move with as_of). -#}
{%- set previous_sla = previous_build_of('fct_ticket_sla') -%}
with bounds as (
    select refresh_after_load_id from {{ ref('int_ticket_refresh_bounds') }}
),

-- union (not union all) keeps each ticket once
touched as (
    select t.ticket_id
    from {{ source('raw', 'tickets') }} as t
    cross join bounds as b
    where b.refresh_after_load_id is null or t._load_id > b.refresh_after_load_id

    union

    select e.ticket_id
    from {{ source('raw', 'ticket_events') }} as e
    cross join bounds as b
    where b.refresh_after_load_id is not null and e._load_id > b.refresh_after_load_id
),

running as (
    {%- if previous_sla is not none %}
        select distinct s.ticket_id
        from {{ previous_sla }} as s
        cross join bounds as b
        where b.refresh_after_load_id is not null and s.stopped_at is null
    {%- else %}
        select cast(null as {{ dbt.type_string() }}) as ticket_id
        where false
    {%- endif %}
)

select
    ticket_id,
    true as is_touched
from touched

union all

select
    r.ticket_id,
    false as is_touched
from running as r
left join touched as t on r.ticket_id = t.ticket_id
where t.ticket_id is null
