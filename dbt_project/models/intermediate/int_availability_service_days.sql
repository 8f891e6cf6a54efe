{#- The spine of the availability marts: one row per service and UTC day of the reporting range, with the
    agreed service time of that day from the service-hours calendar (services.service_calendar_id; blank =
    24/7) read off the shared business clock, and the availability target. Services come from the reference
    list plus any service that only appears in outage records (those are 24/7 with the default target).
    Ephemeral: a CTE of kpi_availability_daily (which tests its grain), kpi_availability_monthly and the
    midnight cut; computing ~113k rows three times costs about what writing them once did, without the node. -#}
{{ config(materialized='ephemeral') }}

with bounds as (
    select * from {{ ref('int_availability_as_of') }}
),

reference_services as (
    select
        service,
        nullif(trim(service_calendar_id), '') as calendar_id,
        availability_target
    from {{ ref('services') }}
),

services as (
    select
        service,
        calendar_id,
        availability_target
    from reference_services
    union all
    select distinct
        o.service,
        cast(null as varchar) as calendar_id,
        cast(null as double) as availability_target
    from {{ ref('int_outage_intervals') }} as o
    where not exists (select 1 from reference_services as r where r.service = o.service)
),

-- a service-specific row of kpi_targets wins over the '*' default; kpi_targets holds percent
default_targets as (
    select
        s.service,
        t.target / 100.0 as target_ratio,
        row_number() over (partition by s.service order by case when t.service = s.service then 0 else 1 end) as rn
    from services as s
    inner join {{ ref('kpi_targets') }} as t
        on t.kpi = 'availability_pct' and t.service in (s.service, '*')
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
    coalesce(s.availability_target, t.target_ratio) as target_ratio,
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
left join default_targets as t on s.service = t.service and t.rn = 1
left join calendar_days as c on s.calendar_id = c.calendar_id and d.day = c.day
