{#- Cleaned downtime segments cut at UTC midnight, with the agreed (in-service-hours) seconds of each part.
    Most segments lie inside one day and need no cut; the few spanning midnight are joined to the days they
    cover. At a cut, the clock value of the day boundary comes from the service-day spine. -#}
with segments as (
    select * from {{ ref('int_outage_segments') }}
    where downtime_weight > 0
),

spine as (
    select * from {{ ref('int_availability_service_days') }}
),

single_day as (
    select
        *,
        cast(segment_start as date) as day
    from segments
    where cast(segment_start as date) = cast(segment_end - interval '1 microsecond' as date)
),

multi_day as (
    select
        s.*,
        d.day
    from segments as s
    inner join spine as d
        on
            s.service = d.service
            and s.segment_end > d.day_start_utc
            and s.segment_start < d.day_end_utc
    where cast(s.segment_start as date) <> cast(s.segment_end - interval '1 microsecond' as date)
),

parts as (
    select * from single_day
    union all
    select * from multi_day
)

select
    p.service,
    p.day,
    d.month,
    p.outage_key,
    p.outage_start,
    greatest(p.segment_start, d.day_start_utc) as part_start,
    least(p.segment_end, d.day_end_utc) as part_end,
    p.downtime_weight,
    p.downtime_weight * (
        {{ epoch_seconds('least(p.segment_end, d.day_end_utc)') }}
        - {{ epoch_seconds('greatest(p.segment_start, d.day_start_utc)') }}
    ) as weighted_seconds,
    p.downtime_weight * (
        case when p.segment_end <= d.day_end_utc then p.clock_at_end else d.clock_at_day_end end
        - case when p.segment_start >= d.day_start_utc then p.clock_at_start else d.clock_at_day_start end
    ) as agreed_downtime_seconds
from parts as p
inner join spine as d on p.service = d.service and p.day = d.day
