-- int_calendar_clock_hours marks business time per whole minute, so it is exact only while every business
-- segment starts and ends on a whole UTC minute. A calendar time with seconds (e.g. 09:00:30) fails here loudly
-- rather than skewing business time by up to a minute.
select
    calendar_id,
    segment_start_utc,
    segment_end_utc
from {{ ref('int_calendar_business_segments') }}
where
    is_business
    and (
        {{ epoch_seconds('segment_start_utc') }} % 60 != 0
        or {{ epoch_seconds('segment_end_utc') }} % 60 != 0
    )
