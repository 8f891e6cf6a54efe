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

    {{ changed_kpi_groups('ticket_id', {'day': 'day_key', 'month': 'month_key'}) }}
{%- endif %}
