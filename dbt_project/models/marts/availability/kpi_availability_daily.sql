{#- Availability per service and UTC day. Agreed service time comes from the service-hours calendar (24/7
    when none); downtime is the cleaned, impact-weighted downtime inside it (int_availability_downtime_days).
    Outages are counted on the day of their first counted (in-hours, outside maintenance) instant. -#}
with spine as (
    select * from {{ ref('int_availability_service_days') }}
),

downtime as (
    select
        service,
        day,
        sum(agreed_downtime_seconds) as downtime_seconds,
        sum(weighted_seconds) as wall_clock_downtime_seconds
    from {{ ref('int_availability_downtime_days') }}
    group by service, day
),

outage_starts as (
    select
        service,
        {{ utc_date('first_downtime_at') }} as day,
        count(*) as outages
    from {{ ref('fct_outage') }}
    where is_counted
    group by service, {{ utc_date('first_downtime_at') }}
),

daily as (
    select
        s.service,
        s.day,
        s.month,
        s.calendar_id,
        s.target_ratio,
        s.clock_at_day_end - s.clock_at_day_start as agreed_seconds,
        coalesce(d.downtime_seconds, 0) as downtime_seconds,
        coalesce(d.wall_clock_downtime_seconds, 0) as wall_clock_downtime_seconds,
        coalesce(o.outages, 0) as outages
    from spine as s
    left join downtime as d on s.service = d.service and s.day = d.day
    left join outage_starts as o on s.service = o.service and s.day = o.day
)

select
    service,
    day,
    month,
    coalesce(calendar_id, '24x7') as service_calendar,
    agreed_seconds / 3600.0 as agreed_hours,
    downtime_seconds / 3600.0 as downtime_hours,
    wall_clock_downtime_seconds / 3600.0 as wall_clock_downtime_hours,
    outages,
    100.0 * (agreed_seconds - downtime_seconds) / nullif(agreed_seconds, 0) as availability_pct,
    100.0 * target_ratio as target_pct,
    100.0 * (agreed_seconds - downtime_seconds) / nullif(agreed_seconds, 0) >= 100.0 * target_ratio as target_met
from daily
