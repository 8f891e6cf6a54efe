{{ config(enabled=target.type != 'duckdb') }}
{#- The business segments once per UTC day they touch: business_clock_join on engines without the hour buckets
    (int_calendar_clock_hours is DuckDB's) joins on (calendar, UTC day of t), an equi-join, before the range
    test, instead of range-joining every segment of the calendar. -#}
select
    calendar_id,
    is_business,
    segment_start_utc,
    segment_end_utc,
    cum_business_seconds_at_start,
    explode(
        sequence(
            {{ utc_date('segment_start_utc') }},
            {{ utc_date('segment_end_utc - interval 1 microsecond') }},
            interval 1 day
        )
    ) as utc_day
from {{ ref('int_calendar_business_segments') }}
