{#- The business clock of every calendar: the timeline from local midnight of var calendar_start_date to
    local midnight after var calendar_end_date, cut into alternating business / non-business segments with
    the business seconds accumulated before each one. See business_clock.sql for how to read it.
    Windows are built in local wall-clock time and converted to UTC one by one, so every DST change and
    holiday is exact; adjacent windows (a 24x7 calendar's days) are merged into one segment. -#}
with calendars as (
    select
        calendar_id,
        timezone,
        weekday,
        {{ clock_text_to_seconds('start_time') }} as start_second,
        {{ clock_text_to_seconds('end_time') }} as end_second
    from {{ ref('calendars') }}
),

calendar_zones as (
    select distinct
        calendar_id,
        timezone
    from calendars
),

dates as (
    {{ date_rows(var('calendar_start_date'), var('calendar_end_date')) }}
),

-- One row per business window (a calendar may have several per weekday), holidays removed.
windows_local as (
    select
        c.calendar_id,
        c.timezone,
        {{ add_seconds('cast(d.calendar_date as timestamp)', 'c.start_second') }} as local_start,
        {{ add_seconds('cast(d.calendar_date as timestamp)', 'c.end_second') }} as local_end
    from dates as d
    inner join calendars as c
        on {{ iso_weekday('d.calendar_date') }} = c.weekday
    left join {{ ref('holidays') }} as h
        on c.calendar_id = h.calendar_id
            and d.calendar_date = h.holiday_date
    where h.calendar_id is null
),

windows_utc as (
    select
        calendar_id,
        {{ local_to_utc('local_start', 'timezone') }} as window_start_utc,
        {{ local_to_utc('local_end', 'timezone') }} as window_end_utc
    from windows_local
),

-- Gaps and islands: a window starts a new island unless it touches or overlaps an earlier one.
windows_flagged as (
    select
        calendar_id,
        window_start_utc,
        window_end_utc,
        case
            when window_start_utc <= max(window_end_utc)
                    over (
                        partition by calendar_id order by window_start_utc, window_end_utc
                        rows between unbounded preceding and 1 preceding
                    )
                then 0
            else 1
        end as starts_island
    from windows_utc
    where window_end_utc > window_start_utc
),

windows_numbered as (
    select
        calendar_id,
        window_start_utc,
        window_end_utc,
        sum(starts_island) over (
            partition by calendar_id order by window_start_utc, window_end_utc
            rows between unbounded preceding and current row
        ) as island_no
    from windows_flagged
),

business as (
    select
        calendar_id,
        min(window_start_utc) as segment_start_utc,
        max(window_end_utc) as segment_end_utc
    from windows_numbered
    group by calendar_id, island_no
),

ranges as (
    select
        calendar_id,
        {{ local_to_utc("cast('" ~ var('calendar_start_date') ~ "' as timestamp)", 'timezone') }} as range_start_utc,
        {{ local_to_utc("cast(cast('" ~ var('calendar_end_date') ~ "' as date) + 1 as timestamp)", 'timezone') }}
            as range_end_utc
    from calendar_zones
),

-- Non-business segments fill the gaps before, between and after the business ones.
business_bounds as (
    select
        b.calendar_id,
        b.segment_start_utc,
        b.segment_end_utc,
        coalesce(
            lag(b.segment_end_utc) over (partition by b.calendar_id order by b.segment_start_utc),
            r.range_start_utc
        ) as previous_end_utc,
        lead(b.segment_start_utc) over (partition by b.calendar_id order by b.segment_start_utc) is null as is_last,
        r.range_end_utc
    from business as b
    inner join ranges as r on b.calendar_id = r.calendar_id
),

segments as (
    select
        calendar_id,
        segment_start_utc,
        segment_end_utc,
        true as is_business
    from business_bounds

    union all

    select
        calendar_id,
        previous_end_utc as segment_start_utc,
        segment_start_utc as segment_end_utc,
        false as is_business
    from business_bounds
    where segment_start_utc > previous_end_utc

    union all

    select
        calendar_id,
        segment_end_utc as segment_start_utc,
        range_end_utc as segment_end_utc,
        false as is_business
    from business_bounds
    where is_last and range_end_utc > segment_end_utc

    union all

    -- A calendar with no business window at all in the range is one closed segment.
    select
        r.calendar_id,
        r.range_start_utc as segment_start_utc,
        r.range_end_utc as segment_end_utc,
        false as is_business
    from ranges as r
    where not exists (select 1 from business as b where b.calendar_id = r.calendar_id)
),

durations as (
    select
        calendar_id,
        segment_start_utc,
        segment_end_utc,
        is_business,
        case
            when is_business
                then cast({{ epoch_seconds('segment_end_utc') }} - {{ epoch_seconds('segment_start_utc') }} as bigint)
            else 0
        end as business_seconds
    from segments
)

select
    calendar_id,
    segment_start_utc,
    segment_end_utc,
    is_business,
    cast(coalesce(sum(business_seconds) over (
        partition by calendar_id order by segment_start_utc
        rows between unbounded preceding and 1 preceding
    ), 0) as bigint) as cum_business_seconds_at_start
from durations
