-- Incident KPIs per UTC month of opening (each incident counts once, in the month it was opened), by service,
-- priority, assignment group, category and channel; group columns and measures in macros/incident_kpis.sql.
select
    {{ incident_kpi_group('month') }},
    {{ incident_kpi_measures() }}
from {{ ref('fct_incident') }}
group by all
