{#- Incident KPIs per UTC month for the incidents opened in it (each incident counts once, in the month it was
    opened), by service, priority, assignment group, category and channel (macros/incident_kpis.sql). -#}
select
    {{ incident_kpi_group('month') }},
    {{ incident_kpi_measures() }}
from {{ ref('fct_incident') }}
group by all
