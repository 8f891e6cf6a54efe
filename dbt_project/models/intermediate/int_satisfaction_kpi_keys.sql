{#- Per survey, its satisfaction group key and the key of its KPI inputs, as kpi_satisfaction_monthly last saw
    them: built after it, so the next run's int_satisfaction_kpi_changes compares against what the KPIs were
    computed from (macros/survey_refresh.sql). -#}
{{ delete_then_append_model("is_refreshed_survey('survey_id')") }}
-- depends_on: {{ ref('kpi_satisfaction_monthly') }}
-- depends_on: {{ ref('int_ticket_refresh_bounds') }}
-- depends_on: {{ ref('int_surveys_to_refresh') }}
{{ refreshed_satisfaction_kpi_keys(is_incremental()) }}
