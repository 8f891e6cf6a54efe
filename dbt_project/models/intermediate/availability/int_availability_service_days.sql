{#- The spine of the availability marts: one row per service and UTC day of the reporting range, with the
    agreed service time of that day from the service-hours calendar (services.service_calendar_id; blank =
    24/7) read off the shared business clock (int_availability_calendar_days), and the availability target
    (int_availability_services).
    Ephemeral: a CTE of kpi_availability_daily, which tests its grain (no table of its own to write). -#}
{{ config(materialized='ephemeral') }}

select
    s.service,
    d.day,
    d.month,
    s.calendar_id,
    s.target_ratio,
    d.day_start_utc,
    d.day_end_utc,
    d.clock_at_day_start,
    d.clock_at_day_end
from {{ ref('int_availability_services') }} as s
inner join {{ ref('int_availability_calendar_days') }} as d on s.calendar_id is not distinct from d.calendar_id
