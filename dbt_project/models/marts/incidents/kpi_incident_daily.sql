-- Incident KPIs per UTC day of opening (each incident counts once, in the day it was opened), by service,
-- priority, assignment group, category and channel; group columns and measures in macros/incident_kpis.sql.
select
    {{ incident_kpi_group('day') }},
    {{ incident_kpi_measures() }}
from {{ ref('fct_incident') }}
group by all
