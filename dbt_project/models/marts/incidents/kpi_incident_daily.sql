{#- Incident KPIs per UTC day for the incidents opened in it (each incident counts once, in the day it was
    opened), by service, priority, assignment group, category and channel. -#}
select
    cast({{ dbt.date_trunc('day', 'opened_at') }} as date) as period_start,
    service,
    priority,
    assignment_group,
    category,
    channel,
    {{ incident_kpi_measures() }}
from {{ ref('fct_incident') }}
group by 1, 2, 3, 4, 5, 6
