{#- The satisfaction groups (month, service, group, priority) this run aggregates again: those of every refreshed
    survey whose group or KPI inputs differ from what kpi_satisfaction_monthly last saw (int_satisfaction_kpi_keys),
    old group and new. Empty when every ticket is recomputed: the KPI table is then rebuilt whole. -#}
-- depends_on: {{ ref('fct_survey') }}
-- depends_on: {{ ref('int_surveys_to_refresh') }}
-- depends_on: {{ ref('int_ticket_refresh_bounds') }}
{{ changed_kpi_groups(
    'survey_id', {'month': 'group_key'},
    now_seen=refreshed_satisfaction_kpi_keys(true),
    seen_model='int_satisfaction_kpi_keys',
    is_refreshed=is_refreshed_survey('survey_id'),
) }}
