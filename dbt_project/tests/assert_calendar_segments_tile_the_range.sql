-- Segments of one calendar must tile the range: each ends where the next starts, none is empty,
-- and the cumulative clock grows by exactly the business length of the previous segment.
with ordered as (
    select
        calendar_id,
        segment_start_utc,
        segment_end_utc,
        is_business,
        cum_business_seconds_at_start,
        lead(segment_start_utc) over (partition by calendar_id order by segment_start_utc) as next_start,
        lead(cum_business_seconds_at_start) over (partition by calendar_id order by segment_start_utc) as next_cum
    from {{ ref('int_calendar_business_segments') }}
)

select *
from ordered
where
    segment_end_utc <= segment_start_utc
    or (next_start is not null and next_start != segment_end_utc)
    or (
        next_cum is not null
        and next_cum - cum_business_seconds_at_start
        != case
            when is_business then {{ epoch_seconds('segment_end_utc') }} - {{ epoch_seconds('segment_start_utc') }}
            else 0
        end
    )
