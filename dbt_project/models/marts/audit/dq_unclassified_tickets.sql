{#- Tickets the pipeline could not fully classify, counted per reason with sample keys, so nothing is silently
    left out of a KPI: one row per reason, 0 when none. A ticket can have several reasons. The data-quality
    warning check tickets__unclassified, the `itsm run` summary and the report's data-quality section read it
    (data_quality/unclassified.py). Reasons:
    - no_service: the export names no service (the ticket counts under var unassigned_service);
    - unknown_service: its service is not in seeds/services.csv (its SLA clock uses the default support calendar);
    - no_sla_policy: no SLA policy for its type and priority at its opening date (no SLA clock), for ticket types
      the policy table covers at all (problems, without shipped policies, are not flagged);
    - no_calendar: its policy names a calendar missing from seeds/calendars.csv, or it opened outside the business
      calendars' date range (vars calendar_start_date .. calendar_end_date): no business time;
    - history_starts_mid_life: its first known state (the first state event's from_value) is terminal or paused:
      a log that starts mid-life (int_ticket_sla_cycles starts and stops its clocks from that state). -#}

{%- set sample_size = 10 %}

with tickets as (
    select
        ticket_id,
        ticket_type,
        service
    from {{ ref('stg_raw__tickets') }}
),

policy_periods as (
    select
        ticket_id,
        has_business_time
    from {{ ref('int_ticket_sla_policy_periods') }}
),

flagged as (
    select
        ticket_id,
        'no_service' as reason
    from tickets
    where service = '{{ var("unassigned_service") }}'

    union all

    select
        t.ticket_id,
        'unknown_service' as reason
    from tickets as t
    where not exists (select 1 from {{ ref('services') }} as s where s.service = t.service)

    union all

    select
        t.ticket_id,
        'no_sla_policy' as reason
    from tickets as t
    where
        t.ticket_type in (select p.ticket_type from {{ ref('sla_policies') }} as p)
        and not exists (select 1 from policy_periods as pp where pp.ticket_id = t.ticket_id)

    union all

    select
        ticket_id,
        'no_calendar' as reason
    from policy_periods
    where not has_business_time

    union all

    select
        ticket_id,
        'history_starts_mid_life' as reason
    from {{ ref('int_ticket_state_intervals') }}
    where stretch_no = 0 and state in ('resolved', 'closed', 'cancelled', 'on_hold', 'awaiting_customer')
),

distinct_flags as (
    select distinct
        ticket_id,
        reason
    from flagged
),

ranked as (
    select
        ticket_id,
        reason,
        row_number() over (partition by reason order by ticket_id) as rank_in_reason
    from distinct_flags
),

counted as (
    select
        reason,
        count(*) as ticket_count,
        {{ ordered_string_agg('case when rank_in_reason <= ' ~ sample_size ~ ' then ticket_id end', "', '") }}
            as sample_ticket_ids
    from ranked
    group by reason
),

reasons as (
    select
        listed.reason,
        listed.description
    from (
        values
        ('no_service', 'named no service (counted under the unassigned service)'),
        ('unknown_service', 'named a service missing from seeds/services.csv (default support calendar used)'),
        ('no_sla_policy', 'matched no SLA policy (no SLA clock)'),
        (
            'no_calendar',
            'had no usable business calendar (unknown calendar, or opened outside the calendar date range)'
        ),
        (
            'history_starts_mid_life',
            'had a history starting mid-life (first known state resolved, closed, cancelled or paused)'
        )
    ) as listed (reason, description)
)

select
    r.reason,
    r.description,
    coalesce(c.ticket_count, 0) as ticket_count,
    c.sample_ticket_ids
from reasons as r
left join counted as c on r.reason = c.reason
