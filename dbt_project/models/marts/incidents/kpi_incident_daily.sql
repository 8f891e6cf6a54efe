{#- Incident KPIs per UTC day for the incidents opened in it (each incident counts once, in the day it was
    opened), by service, priority, assignment group, category and channel (macros/incident_kpis.sql). -#}
select
    {{ incident_kpi_group('day') }},
    {{ incident_kpi_measures() }}
from {{ ref('fct_incident') }}
group by all
