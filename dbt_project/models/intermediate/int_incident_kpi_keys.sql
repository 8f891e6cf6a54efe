{#- Per incident, the KPI groups it counts in (day and month) and a hash of its KPI inputs, as the incident KPI
    tables last saw them: built after them, so the next run's int_incident_kpi_changes compares against what
    the KPIs were computed from (a run that fails in between leaves these rows, and the comparison, as they were). -#}
{{ per_ticket_model() }}
-- depends_on: {{ ref('kpi_incident_daily') }}
-- depends_on: {{ ref('kpi_incident_monthly') }}
{{ refreshed_incident_kpi_keys() }}
