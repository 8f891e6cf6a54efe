{#- The spine of the availability marts: one row per service and UTC day of the reporting range, with the
    agreed service time of that day from the service-hours calendar (services.service_calendar_id; blank =
    24/7) read off the shared business clock, and the availability target (int_availability_services).
    Ephemeral: a CTE of kpi_availability_daily (which tests its grain) and of the midnight cut
    (int_availability_downtime_days, in fct_outage); computing ~113k rows twice costs less than writing them
    once and the dbt node it took. -#}
{{ config(materialized='ephemeral') }}

with bounds as (
    select * from {{ ref('int_availability_as_of') }}
),

services as (
    select * from {{ ref('int_availability_services') }}
),

dates as (
    {{ date_rows(var('calendar_start_date'), var('calendar_end_date')) }}
),

days as (
    select
        d.calendar_date as day,
        {{ local_to_utc('cast(d.calendar_date as timestamp)', "'UTC'") }} as day_start_utc,
        {{ local_to_utc('cast(d.calendar_date + 1 as timestamp)', "'UTC'") }} as day_end_utc
    from dates as d
    inner join bounds as b on d.calendar_date between b.first_day and b.last_day
),

-- the service-hours clock depends on the calendar and the day only: read it once per calendar and day, not
-- once per service and day (most services are 24/7 and need no lookup at all)
calendar_days as (
    select
        c.calendar_id,
        d.day,
        {{ business_clock_at('b_start', 'd.day_start_utc') }} as clock_at_day_start,
        {{ business_clock_at('b_end', 'd.day_end_utc') }} as clock_at_day_end
    from (select distinct calendar_id from services where calendar_id is not null) as c
    cross join days as d
    {{ business_clock_join('b_start', 'c.calendar_id', 'd.day_start_utc') }}
    {{ business_clock_join('b_end', 'c.calendar_id', 'd.day_end_utc') }}
)

select
    s.service,
    d.day,
    cast(date_trunc('month', d.day) as date) as month,
    s.calendar_id,
    s.target_ratio,
    d.day_start_utc,
    d.day_end_utc,
    case
        when s.calendar_id is null then {{ epoch_seconds('d.day_start_utc') }}
        else c.clock_at_day_start
    end as clock_at_day_start,
    case
        when s.calendar_id is null then {{ epoch_seconds('d.day_end_utc') }}
        else c.clock_at_day_end
    end as clock_at_day_end
from services as s
cross join days as d
left join calendar_days as c on s.calendar_id = c.calendar_id and d.day = c.day
