{#- One row per service-hours calendar of the reported services (null = 24/7) and UTC day of the reporting
    range, with the day's UTC bounds and the calendar's clock B(t) at both (epoch seconds for 24/7): the clock
    depends on the calendar and the day only, so it is read once per calendar and day, not per service.
    Ephemeral: a CTE of the service-day spine and of the midnight cut (which needs only the days its
    multi-day segments cover, not the whole spine). -#}
{{ config(materialized='ephemeral') }}

with bounds as (
    select * from {{ ref('int_availability_as_of') }}
),

calendars as (
    select distinct calendar_id from {{ ref('int_availability_services') }}
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
)

select
    c.calendar_id,
    d.day,
    cast(date_trunc('month', d.day) as date) as month,
    d.day_start_utc,
    d.day_end_utc,
    case
        when c.calendar_id is null then {{ epoch_seconds('d.day_start_utc') }}
        else {{ business_clock_at('b_start', 'd.day_start_utc') }}
    end as clock_at_day_start,
    case
        when c.calendar_id is null then {{ epoch_seconds('d.day_end_utc') }}
        else {{ business_clock_at('b_end', 'd.day_end_utc') }}
    end as clock_at_day_end
from calendars as c
cross join days as d
{{ business_clock_join('b_start', 'c.calendar_id', 'd.day_start_utc') }}
{{ business_clock_join('b_end', 'c.calendar_id', 'd.day_end_utc') }}
