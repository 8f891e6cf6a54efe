{#- Open incidents at the end of each day, by service and priority, with age buckets 0-1, 2-5, 6-30, 31-90
    and >90 days, plus the day's opened, resolved and backlog growth (opened - resolved).
    Days are local days of the ticket's support calendar zone (the service's support calendar, else var
    default_support_calendar). An incident is open at the end of day D when opened on or before D and not
    resolved (or closed / cancelled) by the end of D; its age is D - opened day, in days.
    Each ticket adds +1 / -1 marks where it enters and leaves a bucket and a running sum per day gives the
    backlog, so nothing is exploded per ticket per day. Rows run from a group's first opening day (not before
    var calendar_start_date) to the as_of day. -#}
with zones as (
    select distinct
        calendar_id,
        timezone
    from {{ ref('calendars') }}
),

incidents as (
    select
        ticket_id,
        service as source_service,
        coalesce(service, 'unknown') as service,
        priority,
        opened_at,
        -- leaves the backlog when resolved, else when closed or cancelled unresolved (at closed_at, or at the
        -- opening when a cancelled ticket has no closing time)
        coalesce(
            resolved_at,
            case when state in ('closed', 'cancelled') then coalesce(closed_at, opened_at) end
        ) as ended_at
    from {{ ref('fct_incident') }}
),

-- The group's first local opening day. Zone offsets differ by less than a day, so only incidents opened
-- within two days of the group's earliest instant can fall on its first local day.
group_first_opened as (
    select
        service,
        priority,
        min(opened_at) as first_opened_at
    from incidents
    group by service, priority
),

group_first_day as (
    select
        i.service,
        i.priority,
        min(cast({{ utc_to_local('i.opened_at', 'z.timezone') }} as date)) as first_day
    from incidents as i
    inner join group_first_opened as f
        on
            i.service = f.service
            and i.priority = f.priority
            and i.opened_at < {{ dbt.dateadd('day', 2, 'f.first_opened_at') }}
    left join {{ ref('services') }} as s on i.source_service = s.service
    inner join zones as z
        on coalesce(s.support_calendar_id, '{{ var("default_support_calendar") }}') = z.calendar_id
    group by i.service, i.priority
),

days_of as (
    select
        v.service,
        v.priority,
        cast({{ utc_to_local('v.opened_at', 'z.timezone') }} as date) as opened_day,
        cast({{ utc_to_local('v.ended_at', 'z.timezone') }} as date) as ended_day
    from incidents as v
    left join {{ ref('services') }} as s on v.source_service = s.service
    inner join zones as z
        on coalesce(s.support_calendar_id, '{{ var("default_support_calendar") }}') = z.calendar_id
),

-- Age buckets of the backlog KPI, in whole days since the opening day.
buckets as (
    select
        '0_1' as bucket,
        0 as min_age,
        1 as max_age
    union all
    select
        '2_5' as bucket,
        2 as min_age,
        5 as max_age
    union all
    select
        '6_30' as bucket,
        6 as min_age,
        30 as max_age
    union all
    select
        '31_90' as bucket,
        31 as min_age,
        90 as max_age
    union all
    select
        'over_90' as bucket,
        91 as min_age,
        null as max_age
),

-- A ticket is in a bucket from opened_day + min_age up to (not including) the earlier of
-- opened_day + max_age + 1 and ended_day.
spans as (
    select
        d.service,
        d.priority,
        b.bucket,
        cast({{ dbt.dateadd('day', 'b.min_age', 'd.opened_day') }} as date) as enter_day,
        case
            when b.max_age is null then d.ended_day
            when d.ended_day is null then cast({{ dbt.dateadd('day', 'b.max_age + 1', 'd.opened_day') }} as date)
            else least(d.ended_day, cast({{ dbt.dateadd('day', 'b.max_age + 1', 'd.opened_day') }} as date))
        end as leave_day
    from days_of as d
    cross join buckets as b
),

marks as (
    select
        service,
        priority,
        bucket,
        enter_day as mark_day,
        1 as delta
    from spans
    where leave_day is null or leave_day > enter_day

    union all

    select
        service,
        priority,
        bucket,
        leave_day as mark_day,
        -1 as delta
    from spans
    where leave_day is not null and leave_day > enter_day
),

daily_marks as (
    select
        service,
        priority,
        mark_day,
        sum(case when bucket = '0_1' then delta else 0 end) as d_0_1,
        sum(case when bucket = '2_5' then delta else 0 end) as d_2_5,
        sum(case when bucket = '6_30' then delta else 0 end) as d_6_30,
        sum(case when bucket = '31_90' then delta else 0 end) as d_31_90,
        sum(case when bucket = 'over_90' then delta else 0 end) as d_over_90
    from marks
    group by service, priority, mark_day
),

flows as (
    select
        service,
        priority,
        opened_day as flow_day,
        1 as opened,
        0 as resolved
    from days_of

    union all

    select
        service,
        priority,
        ended_day as flow_day,
        0 as opened,
        1 as resolved
    from days_of
    where ended_day is not null
),

daily_flows as (
    select
        f.service,
        f.priority,
        f.flow_day,
        sum(f.opened) as opened,
        sum(f.resolved) as resolved
    from flows as f
    group by f.service, f.priority, f.flow_day
),

as_of_day as (
    select cast(as_of as date) as last_day from {{ ref('int_sla_as_of') }}
),

spine as (
    {{ date_rows(var('calendar_start_date'), var('calendar_end_date')) }}
),

grid as (
    select
        g.service,
        g.priority,
        s.calendar_date
    from group_first_day as g
    cross join as_of_day as a
    inner join spine as s
        on g.first_day <= s.calendar_date
            and a.last_day >= s.calendar_date
),

running as (
    select
        g.calendar_date,
        g.service,
        g.priority,
        sum(coalesce(m.d_0_1, 0)) over w as open_age_0_1,
        sum(coalesce(m.d_2_5, 0)) over w as open_age_2_5,
        sum(coalesce(m.d_6_30, 0)) over w as open_age_6_30,
        sum(coalesce(m.d_31_90, 0)) over w as open_age_31_90,
        sum(coalesce(m.d_over_90, 0)) over w as open_age_over_90,
        coalesce(f.opened, 0) as opened,
        coalesce(f.resolved, 0) as resolved
    from grid as g
    left join daily_marks as m
        on g.service = m.service
            and g.priority = m.priority
            and g.calendar_date = m.mark_day
    left join daily_flows as f
        on g.service = f.service
            and g.priority = f.priority
            and g.calendar_date = f.flow_day
    window w as (partition by g.service, g.priority order by g.calendar_date rows between unbounded preceding and current row)
)

select
    calendar_date,
    service,
    priority,
    cast(open_age_0_1 + open_age_2_5 + open_age_6_30 + open_age_31_90 + open_age_over_90 as bigint) as open_incidents,
    cast(open_age_0_1 as bigint) as open_age_0_1,
    cast(open_age_2_5 as bigint) as open_age_2_5,
    cast(open_age_6_30 as bigint) as open_age_6_30,
    cast(open_age_31_90 as bigint) as open_age_31_90,
    cast(open_age_over_90 as bigint) as open_age_over_90,
    cast(opened as bigint) as opened,
    cast(resolved as bigint) as resolved,
    cast(opened - resolved as bigint) as backlog_growth
from running
