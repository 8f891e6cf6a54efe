{#- The satisfaction groups (month, service, group, priority) this run aggregates again: those of every refreshed
    survey whose group or KPI inputs differ from what kpi_satisfaction_monthly last saw (int_satisfaction_kpi_keys),
    old group and new. Empty when every ticket is recomputed: the KPI table is then rebuilt whole. -#}
{%- set seen = existing_model_relation('int_satisfaction_kpi_keys') -%}
-- depends_on: {{ ref('fct_survey') }}
-- depends_on: {{ ref('int_surveys_to_refresh') }}
-- depends_on: {{ ref('int_ticket_refresh_bounds') }}
{% if refreshes_every_ticket() or seen is none -%}
    select
        cast(null as varchar) as period,
        {{ tuple_key(["'none'"]) }} as group_key
    where false
{%- else -%}
    with now_seen as (
        {{ refreshed_satisfaction_kpi_keys(true) }}
    ),

    last_seen as (
        select * from {{ seen }}
        where {{ is_refreshed_survey('survey_id') }}
    ),

    {{ changed_kpi_groups('survey_id', {'month': 'group_key'}) }}
{%- endif %}
