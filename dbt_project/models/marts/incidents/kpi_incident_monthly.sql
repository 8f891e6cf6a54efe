{#- Monthly incident KPIs (cohort of incidents opened that UTC month); see macros/incident_kpis.sql. -#}
{{ incident_kpis('month') }}
