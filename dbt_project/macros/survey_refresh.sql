{#- Incremental refresh of fct_survey and kpi_satisfaction_monthly, on the per-ticket scheme
    (macros/ticket_refresh.sql) and the changed-group approach of the incident KPIs (macros/incident_kpis.sql).

    - int_surveys_to_refresh: surveys with raw rows from loads newer than the ticket refresh bound, plus the
      surveys (as fct_survey last held them) of the refreshed tickets, whose service, group, priority or SLA
      outcome may have moved.
    - fct_survey: deletes those surveys and appends them again.
    - int_satisfaction_kpi_changes: the satisfaction groups (month, service, group, priority) a refreshed survey
      entered or left, or in which one of its KPI inputs changed, against int_satisfaction_kpi_keys (what
      kpi_satisfaction_monthly last saw, built after it).
    - kpi_satisfaction_monthly: deletes those groups and aggregates them again.
    Everything is rebuilt when the per-ticket models recompute every ticket. -#}

{#- Condition on a survey: it is one this run recomputes (true when every ticket is recomputed). -#}
{% macro is_refreshed_survey(survey_column) -%}
    {%- if refreshes_every_ticket() -%}
        true
    {%- else -%}
        {{ survey_column }} in (select r.survey_id from {{ ref('int_surveys_to_refresh') }} as r)
    {%- endif -%}
{%- endmacro %}

{#- Key of a survey's satisfaction group, from fct_survey (survey_month) or a KPI row (month). -#}
{% macro satisfaction_kpi_group_key(month_column='survey_month') -%}
    {{ tuple_key([month_column, 'service', 'assignment_group', 'priority']) }}
{%- endmacro %}

{#- Per survey (only the refreshed ones when `filtered`): its group key and the key of the fct_survey columns kpi_satisfaction_monthly reads
    besides the group columns (keep in step with that model). -#}
{% macro refreshed_satisfaction_kpi_keys(filtered) -%}
    select
        survey_id,
        {{ satisfaction_kpi_group_key() }} as group_key,
        {{ tuple_key(['has_response', 'csat_score', 'is_satisfied', 'nps_score', 'nps_category', 'sla_outcome',
            'quality_status']) }} as inputs_key
    from {{ ref('fct_survey') }}
    {%- if filtered %}
        where {{ is_refreshed_survey('survey_id') }}
    {%- endif %}
{%- endmacro %}

{#- Condition on a row: its satisfaction group is one this run recomputes (true when kpi_satisfaction_monthly is
    built whole or every ticket is recomputed). -#}
{% macro is_changed_satisfaction_kpi_group(month_column='survey_month') -%}
    {%- if not is_incremental() or refreshes_every_ticket() -%}
        true
    {%- else -%}
        {{ satisfaction_kpi_group_key(month_column) }} in (
            select c.group_key from {{ ref('int_satisfaction_kpi_changes') }} as c
        )
    {%- endif -%}
{%- endmacro %}
