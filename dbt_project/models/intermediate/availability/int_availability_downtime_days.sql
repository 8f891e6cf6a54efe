{#- Cleaned downtime segments cut at UTC midnight, with the agreed (in-service-hours) seconds of each part.
    Most segments lie inside one day: they need no cut and no spine lookup (their part is the segment, its
    clock values are the segment's), only the check that the day lies in the reporting range. The few
    spanning midnight are joined to the days they cover; at a cut, the clock value of the day boundary comes
    from int_availability_calendar_days (the service-day spine without the services). An outage is keyed by
    (service, cluster_no) as in int_outage_segments.
    Ephemeral: a CTE of fct_outage (sums per outage) and kpi_availability_daily (sums per service and day);
    computing the cut twice is cheaper than writing it as a table and reading it back (DECISIONLOG.md). -#}
{{ config(materialized='ephemeral') }}

with segments as (
    select
        service,
        cluster_no,
        segment_start,
        segment_end,
        downtime_weight,
        clock_at_start,
        clock_at_end,
        {{ utc_date('segment_start') }} as start_day,
        {{ utc_date('segment_end - interval 1 microsecond') }} as last_day
    from {{ ref('int_outage_segments') }}
    where downtime_weight > 0
),

-- the calendar of each service, to read the clock at the day boundaries of a multi-day segment
services as (
    select
        service,
        calendar_id
    from {{ ref('int_availability_services') }}
),

-- the days of the spine (every service has every day of it): the reporting range within the calendar range
range_bounds as (
    select
        greatest(first_day, cast('{{ var("calendar_start_date") }}' as date)) as first_day,
        least(last_day, cast('{{ var("calendar_end_date") }}' as date)) as last_day
    from {{ ref('int_availability_as_of') }}
),

single_day as (
    select
        s.service,
        s.start_day as day,
        cast(date_trunc('month', s.start_day) as date) as month,
        s.cluster_no,
        s.segment_start as part_start,
        s.segment_end as part_end,
        s.downtime_weight,
        s.downtime_weight * (
            {{ epoch_seconds('s.segment_end') }} - {{ epoch_seconds('s.segment_start') }}
        ) as weighted_seconds,
        s.downtime_weight * (s.clock_at_end - s.clock_at_start) as agreed_downtime_seconds
    from segments as s
    inner join range_bounds as r on s.start_day between r.first_day and r.last_day
    where s.start_day = s.last_day
),

multi_day as (
    select
        s.service,
        d.day,
        d.month,
        s.cluster_no,
        greatest(s.segment_start, d.day_start_utc) as part_start,
        least(s.segment_end, d.day_end_utc) as part_end,
        s.downtime_weight,
        s.downtime_weight * (
            {{ epoch_seconds('least(s.segment_end, d.day_end_utc)') }}
            - {{ epoch_seconds('greatest(s.segment_start, d.day_start_utc)') }}
        ) as weighted_seconds,
        s.downtime_weight * (
            case when s.segment_end <= d.day_end_utc then s.clock_at_end else d.clock_at_day_end end
            - case when s.segment_start >= d.day_start_utc then s.clock_at_start else d.clock_at_day_start end
        ) as agreed_downtime_seconds
    from segments as s
    inner join services as v on s.service = v.service
    inner join {{ ref('int_availability_calendar_days') }} as d
        on
            v.calendar_id is not distinct from d.calendar_id
            and s.segment_end > d.day_start_utc
            and s.segment_start < d.day_end_utc
    where s.start_day <> s.last_day
)

select * from single_day
union all
select * from multi_day
