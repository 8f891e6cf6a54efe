{#- Daily incident KPIs (cohort of incidents opened that UTC day); see macros/incident_kpis.sql. -#}
{{ incident_kpis('day') }}
