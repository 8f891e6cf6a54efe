{#- Availability per service and UTC month, summed from the daily grain (agreed time and downtime are additive;
    ratios are recomputed, never averaged). Error budget = (1 - target) x agreed service time; burn rate =
    downtime / error budget (1.0 = the month's budget exactly spent). MTRS and MTBF divide by the outages
    counted in the month and are null in a month without outages. -#}
with daily as (
    select * from {{ ref('kpi_availability_daily') }}
),

-- the target is per service (every month of a service has the same)
targets as (
    select
        service,
        target_ratio
    from {{ ref('int_availability_services') }}
),

monthly as (
    select
        d.service,
        d.month,
        max(d.service_calendar) as service_calendar,
        sum(d.agreed_hours) as agreed_hours,
        sum(d.downtime_hours) as downtime_hours,
        sum(d.wall_clock_downtime_hours) as wall_clock_downtime_hours,
        sum(d.outages) as outages,
        count(*) as days_covered
    from daily as d
    group by d.service, d.month
)

select
    m.service,
    m.month,
    m.service_calendar,
    m.days_covered,
    m.days_covered < extract(day from (m.month + interval '1 month' - interval '1 day')) as is_partial_month,
    m.agreed_hours,
    m.downtime_hours,
    m.wall_clock_downtime_hours,
    m.outages,
    100.0 * (m.agreed_hours - m.downtime_hours) / nullif(m.agreed_hours, 0) as availability_pct,
    100.0 * s.target_ratio as target_pct,
    100.0 * (m.agreed_hours - m.downtime_hours) / nullif(m.agreed_hours, 0) >= 100.0 * s.target_ratio as target_met,
    m.downtime_hours / nullif(m.outages, 0) as mtrs_hours,
    (m.agreed_hours - m.downtime_hours) / nullif(m.outages, 0) as mtbf_hours,
    (1 - s.target_ratio) * m.agreed_hours as error_budget_hours,
    (1 - s.target_ratio) * m.agreed_hours - m.downtime_hours as error_budget_remaining_hours,
    m.downtime_hours / nullif((1 - s.target_ratio) * m.agreed_hours, 0) as error_budget_burn_rate
from monthly as m
inner join targets as s on m.service = s.service
