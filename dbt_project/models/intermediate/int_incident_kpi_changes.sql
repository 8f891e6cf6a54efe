{#- The incident KPI groups (day and month) this run recomputes: those of every refreshed incident whose group or
    KPI inputs differ from what the KPI tables last saw (int_incident_kpi_keys), old group and new. A running
    clock that changed nothing a KPI reads changes no group. Empty when every ticket is recomputed: the KPI
    tables are then rebuilt whole (macros/incident_kpis.sql). -#}
{%- set seen = existing_model_relation('int_incident_kpi_keys') -%}
-- depends_on: {{ ref('fct_incident') }}
-- depends_on: {{ ref('int_tickets_to_refresh') }}
-- depends_on: {{ ref('int_ticket_refresh_bounds') }}
{% if refreshes_every_ticket() or seen is none -%}
    select
        cast(null as varchar) as period,
        {{ tuple_key(["'none'"]) }} as group_key
    where false
{%- else -%}
    with now_seen as (
        {{ refreshed_incident_kpi_keys() }}
    ),

    last_seen as (
        select * from {{ seen }}
        where {{ is_refreshed_ticket('ticket_id') }}
    ),

    changed as (
        select
            n.day_key as new_day_key,
            n.month_key as new_month_key,
            o.day_key as old_day_key,
            o.month_key as old_month_key
        from now_seen as n
        full outer join last_seen as o on n.ticket_id = o.ticket_id
        where
            n.ticket_id is null
            or o.ticket_id is null
            or n.day_key != o.day_key
            or n.month_key != o.month_key
            or n.inputs_key != o.inputs_key
    ),

    keys as (
        select
            'day' as period,
            new_day_key as group_key
        from changed

        union

        select
            'day' as period,
            old_day_key as group_key
        from changed

        union

        select
            'month' as period,
            new_month_key as group_key
        from changed

        union

        select
            'month' as period,
            old_month_key as group_key
        from changed
    )

    select
        period,
        group_key
    from keys
    where group_key is not null
{%- endif %}
