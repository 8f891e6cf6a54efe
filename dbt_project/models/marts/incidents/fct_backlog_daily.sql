{#- Open incidents at the end of each day, by service and priority, with age buckets 0-1, 2-5, 6-30, 31-90
    and >90 days, plus the day's opened, resolved and backlog growth (opened - resolved).
    Days are local days of the ticket's support calendar zone (the service's support calendar, else var
    default_support_calendar). An incident is open at the end of day D when opened on or before D and not
    resolved (or closed / cancelled) by the end of D; its age is D - opened day, in days.
    Each ticket adds +1 / -1 marks where it enters and leaves a bucket and a running sum per day gives the
    backlog, so nothing is exploded per ticket per day. Rows run from a group's first opening day (not before
    var calendar_start_date) to the as_of day.

    Incremental (macros/backlog_refresh.sql): every column is a sum over incidents, so a group keeps its previous
    rows through the previous last day (kept_through) and adds the marks of the changed incidents
    (int_backlog_changes: old version -1, new +1); after kept_through its rows come from the incidents that can
    have a mark there. A group without a usable previous start is rebuilt from its incidents (kept_through =
    the day before calendar_start_date), which is the whole build when nothing previous is usable. -#}
{%- set rebuild = refreshes_every_ticket() -%}
{%- set previous = none if rebuild else existing_model_relation('fct_backlog_daily') -%}
{%- set previous_checksum = none if rebuild else existing_model_relation('int_backlog_daily_checksum') -%}
{%- set spine_start = "cast('" ~ var('calendar_start_date') ~ "' as date)" -%}
-- depends_on: {{ ref('int_ticket_refresh_bounds') }}
with zones as (
    select distinct
        calendar_id,
        timezone
    from {{ ref('calendars') }}
),

-- The previous rows, while they are still the build int_backlog_incidents describes (checksum unchanged).
previous_rows as (
    {%- if previous is not none and previous_checksum is not none %}
        select
            p.calendar_date,
            p.service,
            p.priority,
            p.open_age_0_1,
            p.open_age_2_5,
            p.open_age_6_30,
            p.open_age_31_90,
            p.open_age_over_90,
            p.opened,
            p.resolved
        from {{ previous }} as p
        where
            (select c.backlog_checksum from {{ previous_checksum }} as c)
            = (select {{ backlog_checksum() }} from {{ previous }})
    {%- else %}
        select
            cast(null as date) as calendar_date,
            cast(null as varchar) as service,
            cast(null as integer) as priority,
            cast(null as bigint) as open_age_0_1,
            cast(null as bigint) as open_age_2_5,
            cast(null as bigint) as open_age_6_30,
            cast(null as bigint) as open_age_31_90,
            cast(null as bigint) as open_age_over_90,
            cast(null as bigint) as opened,
            cast(null as bigint) as resolved
        where false
    {%- endif %}
),

previous_last_day as (
    select max(calendar_date) as last_day from previous_rows
),

previous_groups as (
    select
        service,
        priority,
        min(calendar_date) as first_day
    from previous_rows
    group by service, priority
),

incidents as (
    select
        ticket_id,
        service as source_service,
        coalesce(service, 'unknown') as service,
        priority,
        opened_at,
        ended_at
    from ({{ backlog_incident_columns() }}) as i
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

-- kept_through: the last day whose row is the previous row plus the changes' marks; later days are rebuilt.
groups as (
    select
        g.service,
        g.priority,
        g.first_day,
        case
            when p.first_day is not null and greatest(g.first_day, {{ spine_start }}) >= p.first_day
                then l.last_day
            else cast({{ dbt.dateadd('day', -1, spine_start) }} as date)
        end as kept_through
    from group_first_day as g
    cross join previous_last_day as l
    left join previous_groups as p
        on g.service = p.service and g.priority = p.priority
),

-- Incidents that can have a mark after kept_through: still open or ended after it, opened after it, or open and
-- young enough to change age bucket (the oldest bucket starts at 91 days); the UTC bounds keep a day of margin
-- for the zones.
recent as (
    {%- if rebuild %}
        select * from incidents
    {%- else %}
        select i.*
        from incidents as i
        inner join groups as g
            on i.service = g.service and i.priority = g.priority
        where
            g.kept_through < {{ spine_start }}
            or i.ended_at >= cast({{ dbt.dateadd('day', -1, 'g.kept_through') }} as timestamp with time zone)
            or i.opened_at >= cast({{ dbt.dateadd('day', -1, 'g.kept_through') }} as timestamp with time zone)
            or (
                i.ended_at is null
                and i.opened_at >= cast({{ dbt.dateadd('day', -93, 'g.kept_through') }} as timestamp with time zone)
            )
    {%- endif %}
),

versions as (
    select
        source_service,
        service,
        priority,
        opened_at,
        ended_at,
        1 as weight,
        false as is_change
    from recent

    union all

    select
        service as source_service,
        coalesce(service, 'unknown') as service,
        priority,
        opened_at,
        ended_at,
        weight,
        true as is_change
    from {{ ref('int_backlog_changes') }}
),

days_of as (
    select
        v.service,
        v.priority,
        v.weight,
        v.is_change,
        cast({{ utc_to_local('v.opened_at', 'z.timezone') }} as date) as opened_day,
        cast({{ utc_to_local('v.ended_at', 'z.timezone') }} as date) as ended_day
    from versions as v
    left join {{ ref('services') }} as s on v.source_service = s.service
    inner join zones as z
        on coalesce(s.support_calendar_id, '{{ var("default_support_calendar") }}') = z.calendar_id
),

-- Age buckets of the backlog KPI (DESIGN.md), in whole days since the opening day.
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
        d.weight,
        d.is_change,
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
        is_change,
        bucket,
        enter_day as mark_day,
        weight as delta
    from spans
    where leave_day is null or leave_day > enter_day

    union all

    select
        service,
        priority,
        is_change,
        bucket,
        leave_day as mark_day,
        -weight as delta
    from spans
    where leave_day is not null and leave_day > enter_day
),

-- A change's marks count up to kept_through (before calendar_start_date nothing is counted, as in a full
-- build); one before the group's first row still counts in every row, so it moves onto that row. Other
-- incidents' marks count after kept_through.
kept_marks as (
    {%- if rebuild %}
        -- every mark is an incident's own (no changes, nothing kept); those before the spine join no row
        select
            service,
            priority,
            bucket,
            delta,
            mark_day
        from marks
    {%- else %}
        select
            m.service,
            m.priority,
            m.bucket,
            m.delta,
            case
                when m.is_change then greatest(m.mark_day, g.first_day, {{ spine_start }})
                else m.mark_day
            end as mark_day
        from marks as m
        inner join groups as g
            on m.service = g.service and m.priority = g.priority
        where
            (m.is_change and m.mark_day <= g.kept_through and m.mark_day >= {{ spine_start }})
            or (not m.is_change and m.mark_day > g.kept_through)
    {%- endif %}
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
    from kept_marks
    group by service, priority, mark_day
),

flows as (
    select
        service,
        priority,
        is_change,
        opened_day as flow_day,
        weight as opened,
        0 as resolved
    from days_of

    union all

    select
        service,
        priority,
        is_change,
        ended_day as flow_day,
        0 as opened,
        weight as resolved
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
    {%- if not rebuild %}
        inner join groups as g
            on f.service = g.service and f.priority = g.priority
        where
            (f.is_change and f.flow_day <= g.kept_through)
            or (not f.is_change and f.flow_day > g.kept_through)
    {%- endif %}
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
        g.kept_through,
        s.calendar_date
    from groups as g
    cross join as_of_day as a
    inner join spine as s
        on g.first_day <= s.calendar_date
            and a.last_day >= s.calendar_date
),

-- previous row of the day (of kept_through after it): its running sums are the base the marks add to
running as (
    select
        g.calendar_date,
        g.service,
        g.priority,
        coalesce(p.open_age_0_1, 0) + sum(coalesce(m.d_0_1, 0)) over w as open_age_0_1,
        coalesce(p.open_age_2_5, 0) + sum(coalesce(m.d_2_5, 0)) over w as open_age_2_5,
        coalesce(p.open_age_6_30, 0) + sum(coalesce(m.d_6_30, 0)) over w as open_age_6_30,
        coalesce(p.open_age_31_90, 0) + sum(coalesce(m.d_31_90, 0)) over w as open_age_31_90,
        coalesce(p.open_age_over_90, 0) + sum(coalesce(m.d_over_90, 0)) over w as open_age_over_90,
        case when g.calendar_date <= g.kept_through then coalesce(p.opened, 0) else 0 end
        + coalesce(f.opened, 0) as opened,
        case when g.calendar_date <= g.kept_through then coalesce(p.resolved, 0) else 0 end
        + coalesce(f.resolved, 0) as resolved
    from grid as g
    left join previous_rows as p
        on g.service = p.service
            and g.priority = p.priority
            and least(g.calendar_date, g.kept_through) = p.calendar_date
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
