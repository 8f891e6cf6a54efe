{#- Daily incident KPIs (cohort of incidents opened that UTC day); see macros/incident_kpis.sql. -#}
{{ incident_kpi_model('day') }}
-- depends_on: {{ ref('int_ticket_refresh_bounds') }}
-- depends_on: {{ ref('int_incident_kpi_changes') }}
{{ incident_kpis('day') }}
