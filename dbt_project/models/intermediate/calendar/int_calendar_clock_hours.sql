{{ config(enabled=target.type == 'duckdb') }}
{#- The business clock bucketed by UTC hour: one row per calendar x hour of the calendar's range, holding B at the
    start of the hour and which of its 60 minutes are business time. B(t) is then one equi-join on
    (calendar_id, hour of t) plus bit arithmetic, instead of an ASOF join per timestamp (measured by
    bench/sla.py; DECISIONLOG.md). Exact because every segment boundary is a whole minute (calendar times
    are HH:MM, IANA offsets are whole minutes; the minute-aligned test on int_calendar_business_segments
    enforces it). DuckDB-only, like the macros that read it (macros/business_clock.sql). -#}
with segments as (
    select
        calendar_id,
        is_business,
        epoch_us(segment_start_utc) // 1000000 as start_second,
        epoch_us(segment_end_utc) // 1000000 as end_second
    from {{ ref('int_calendar_business_segments') }}
),

calendar_ranges as (
    select
        calendar_id,
        min(start_second) as range_start_second,
        max(end_second) as range_end_second
    from segments
    group by calendar_id
),

hours as (
    select
        calendar_id,
        unnest(range(range_start_second // 3600, (range_end_second + 3599) // 3600)) as hour_bucket
    from calendar_ranges
),

-- Each business segment cut into the hours it touches, as [first second, end second) within the hour.
business_hour_pieces as (
    select
        calendar_id,
        hour_bucket,
        greatest(start_second, hour_bucket * 3600) as piece_start,
        least(end_second, hour_bucket * 3600 + 3600) as piece_end
    from (
        select
            calendar_id,
            start_second,
            end_second,
            unnest(range(start_second // 3600, (end_second + 3599) // 3600)) as hour_bucket
        from segments
        where is_business
    ) as business_segment_hours
),

-- Bit m set = minute m of the hour is business time.
minute_masks as (
    select
        calendar_id,
        hour_bucket,
        bit_or(
            ((cast(1 as ubigint) << cast((piece_end - piece_start) // 60 as integer)) - 1)
            << cast((piece_start // 60) % 60 as integer)
        ) as business_minute_mask,
        sum(piece_end - piece_start) as business_seconds
    from business_hour_pieces
    group by calendar_id, hour_bucket
)

-- B at an hour's start = business seconds of all earlier hours (the range starts at B = 0). A running sum
-- rather than an ASOF join into the segments, which DuckDB plans badly here.
select
    h.calendar_id,
    h.hour_bucket,
    cast(coalesce(sum(m.business_seconds) over (
        partition by h.calendar_id order by h.hour_bucket
        rows between unbounded preceding and 1 preceding
    ), 0) as bigint) as cum_business_seconds_at_hour,
    coalesce(m.business_minute_mask, cast(0 as ubigint)) as business_minute_mask
from hours as h
left join minute_masks as m
    on h.calendar_id = m.calendar_id
        and h.hour_bucket = m.hour_bucket
