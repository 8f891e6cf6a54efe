{#- The service scorecard: one row per service and UTC month, joining incidents (cohort opened in the month),
    SLA attainment, changes, availability and satisfaction, each headline KPI beside its target from reference
    data (kpi_targets.csv, service-specific rows over '*'; services.csv availability_target first), a RAG
    status and the change from the previous month. Ratios are recomputed from the additive counts of the
    monthly marts, never averaged; medians come from the facts. -#}

{%- set kpis = [
    'sla_resolution_attainment_pct', 'sla_response_attainment_pct', 'mttr_business_hours_median', 'fcr_pct',
    'reopen_pct', 'change_success_pct', 'change_failure_pct', 'availability_pct', 'csat_mean', 'nps',
] %}

with availability as (
    select * from {{ ref('kpi_availability_monthly') }}
),

incidents as (
    select
        service,
        cast(period_start as date) as month,
        sum(incidents_opened) as incidents_opened,
        sum(incidents_resolved) as incidents_resolved,
        sum(response_sla_met) as response_sla_met,
        sum(response_sla_breached) as response_sla_breached,
        sum(resolution_sla_met) as resolution_sla_met,
        sum(resolution_sla_breached) as resolution_sla_breached,
        sum(first_contact_resolutions) as first_contact_resolutions,
        sum(incidents_ever_resolved) as incidents_ever_resolved,
        sum(resolved_reopened) as resolved_reopened
    from {{ ref('kpi_incident_monthly') }}
    group by service, month
),

incident_medians as (
    select
        service,
        cast(date_trunc('month', opened_at) as date) as month,
        percentile_cont(0.5) within group (order by resolve_business_hours) as mttr_business_hours_median,
        percentile_cont(0.5) within group (order by resolve_calendar_hours) as mttr_calendar_hours_median
    from {{ ref('fct_incident') }}
    group by service, month
),

changes as (
    select
        service,
        month,
        sum(changes_total) as changes_total,
        sum(changes_implemented) as changes_implemented,
        sum(changes_with_outcome) as changes_with_outcome,
        sum(changes_successful) as changes_successful,
        sum(changes_causing_failure) as changes_causing_failure,
        sum(changes_emergency) as changes_emergency,
        sum(changes_unauthorized) as changes_unauthorized,
        sum(incidents_caused) as incidents_caused_by_changes,
        sum(outage_hours_caused) as outage_hours_caused_by_changes
    from {{ ref('kpi_change_monthly') }}
    group by service, month
),

change_medians as (
    select
        {{ service_or_unassigned('service') }} as service,
        change_month as month,
        percentile_cont(0.5) within group (
            order by case when not is_cancelled then lead_time_hours end
        ) as change_lead_time_hours_median
    from {{ ref('fct_change') }}
    group by service, month
),

surveys as (
    select
        service,
        month,
        sum(surveys_sent) as surveys_sent,
        sum(responses) as survey_responses,
        sum(csat_responses) as csat_responses,
        sum(csat_score_sum) as csat_score_sum,
        sum(satisfied_responses) as satisfied_responses,
        sum(nps_responses) as nps_responses,
        sum(promoters) as promoters,
        sum(detractors) as detractors,
        sum(csat_responses_sla_met) as csat_responses_sla_met,
        sum(csat_mean_sla_met * csat_responses_sla_met) as csat_sum_sla_met,
        sum(csat_responses_sla_breached) as csat_responses_sla_breached,
        sum(csat_mean_sla_breached * csat_responses_sla_breached) as csat_sum_sla_breached
    from {{ ref('kpi_satisfaction_monthly') }}
    group by service, month
),

-- the service-months with data: incidents, changes, surveys or outages (a reference service with none of
-- these in a month has no row, so another organisation's catalogue does not fill the scorecard with empty
-- services; a service missing from the reference list still gets its rows), up to the as-of month (a change
-- scheduled for next month is not a scorecard month yet)
mentioned as (
    select
        service,
        month
    from availability
    where outages > 0 or downtime_hours > 0
    union
    select
        service,
        month
    from incidents
    union
    select
        service,
        month
    from changes
    union
    select
        service,
        month
    from surveys
),

spine as (
    select
        m.service,
        m.month
    from mentioned as m
    inner join {{ ref('int_availability_as_of') }} as r on m.month between r.first_day and r.last_day
),

measured as (
    select
        s.service,
        s.month,
        coalesce(i.incidents_opened, 0) as incidents_opened,
        coalesce(i.incidents_resolved, 0) as incidents_resolved,
        100.0 * i.resolution_sla_met
        / nullif(i.resolution_sla_met + i.resolution_sla_breached, 0) as sla_resolution_attainment_pct,
        100.0 * i.response_sla_met
        / nullif(i.response_sla_met + i.response_sla_breached, 0) as sla_response_attainment_pct,
        im.mttr_business_hours_median,
        im.mttr_calendar_hours_median,
        100.0 * i.first_contact_resolutions / nullif(i.incidents_resolved, 0) as fcr_pct,
        100.0 * i.resolved_reopened / nullif(i.incidents_ever_resolved, 0) as reopen_pct,
        coalesce(c.changes_total, 0) as changes_total,
        coalesce(c.changes_implemented, 0) as changes_implemented,
        100.0 * c.changes_successful / nullif(c.changes_with_outcome, 0) as change_success_pct,
        100.0 * c.changes_causing_failure / nullif(c.changes_implemented, 0) as change_failure_pct,
        100.0 * c.changes_emergency / nullif(c.changes_total, 0) as emergency_change_pct,
        100.0 * c.changes_unauthorized / nullif(c.changes_implemented, 0) as unauthorized_change_pct,
        cm.change_lead_time_hours_median,
        coalesce(c.incidents_caused_by_changes, 0) as incidents_caused_by_changes,
        coalesce(c.outage_hours_caused_by_changes, 0) as outage_hours_caused_by_changes,
        a.agreed_hours,
        a.downtime_hours,
        a.outages,
        a.availability_pct,
        a.target_pct as availability_target_pct,
        a.mtrs_hours,
        a.mtbf_hours,
        a.error_budget_hours,
        a.error_budget_remaining_hours,
        a.error_budget_burn_rate,
        coalesce(v.surveys_sent, 0) as surveys_sent,
        100.0 * v.survey_responses / nullif(v.surveys_sent, 0) as survey_response_rate_pct,
        1.0 * v.csat_score_sum / nullif(v.csat_responses, 0) as csat_mean,
        100.0 * v.satisfied_responses / nullif(v.csat_responses, 0) as satisfied_pct,
        100.0 * (v.promoters - v.detractors) / nullif(v.nps_responses, 0) as nps,
        v.csat_sum_sla_met / nullif(v.csat_responses_sla_met, 0) as csat_mean_sla_met,
        v.csat_sum_sla_breached / nullif(v.csat_responses_sla_breached, 0) as csat_mean_sla_breached
    from spine as s
    left join incidents as i on s.service = i.service and s.month = i.month
    left join incident_medians as im on s.service = im.service and s.month = im.month
    left join changes as c on s.service = c.service and s.month = c.month
    left join change_medians as cm on s.service = cm.service and s.month = cm.month
    left join availability as a on s.service = a.service and s.month = a.month
    left join surveys as v on s.service = v.service and s.month = v.month
),

-- one target per service and KPI: the service's own row wins over the '*' default
targets as (
    select
        service,
        kpi,
        target,
        direction,
        amber_margin
    from (
        select
            s.service,
            t.kpi,
            t.target,
            t.direction,
            t.amber_margin,
            row_number() over (
                partition by s.service, t.kpi order by case when t.service = s.service then 0 else 1 end
            ) as rn
        from (select distinct service from spine) as s
        inner join {{ ref('kpi_targets') }} as t on t.service in (s.service, '*')
        -- no availability is committed for work attributed to no service
        where not (s.service = '{{ var("unassigned_service") }}' and t.kpi = 'availability_pct')
    ) as ranked
    where rn = 1
),

service_targets as (
    select
        {% for kpi in kpis %}
            max(case when kpi = '{{ kpi }}' then target end) as {{ kpi }}_target_ref,
            max(case when kpi = '{{ kpi }}' then direction end) as {{ kpi }}_direction,
            max(case when kpi = '{{ kpi }}' then amber_margin end) as {{ kpi }}_amber_margin,
        {% endfor %}
        service
    from targets
    group by service
),

with_targets as (
    select
        {% for kpi in kpis %}
            {% if kpi == 'availability_pct' %}
                coalesce(m.availability_target_pct, t.availability_pct_target_ref) as availability_pct_target,
            {% else %}
                t.{{ kpi }}_target_ref as {{ kpi }}_target,
            {% endif %}
            t.{{ kpi }}_direction,
            t.{{ kpi }}_amber_margin,
        {% endfor %}
        m.*
    from measured as m
    left join service_targets as t on m.service = t.service
)

select
    service,
    month,
    incidents_opened,
    incidents_resolved,
    mttr_calendar_hours_median,
    changes_total,
    changes_implemented,
    emergency_change_pct,
    unauthorized_change_pct,
    change_lead_time_hours_median,
    incidents_caused_by_changes,
    outage_hours_caused_by_changes,
    agreed_hours,
    downtime_hours,
    outages,
    mtrs_hours,
    mtbf_hours,
    error_budget_hours,
    error_budget_remaining_hours,
    error_budget_burn_rate,
    surveys_sent,
    survey_response_rate_pct,
    satisfied_pct,
    csat_mean_sla_met,
    csat_mean_sla_breached,
    {% for kpi in kpis %}
        {{ kpi }},
        {{ kpi }}_target,
        -- green: target met; amber: missed by no more than amber_margin; red: missed by more
        case
            when {{ kpi }} is null or {{ kpi }}_target is null then null
            when {{ kpi }}_direction = 'lower_is_better'
                then case
                        when {{ kpi }} <= {{ kpi }}_target then 'green'
                        when {{ kpi }} <= {{ kpi }}_target + coalesce({{ kpi }}_amber_margin, 0) then 'amber'
                        else 'red'
                    end
            else case
                    when {{ kpi }} >= {{ kpi }}_target then 'green'
                    when {{ kpi }} >= {{ kpi }}_target - coalesce({{ kpi }}_amber_margin, 0) then 'amber'
                    else 'red'
                end
        end as {{ kpi }}_status,
        -- only against the calendar month before: a service-month gap must not compare with an older month
        case
            when lag(month) over (partition by service order by month) = {{ dbt.dateadd('month', -1, 'month') }}
                then {{ kpi }} - lag({{ kpi }}) over (partition by service order by month)
        end as {{ kpi }}_mom_delta,
    {% endfor %}
    lag(month) over (partition by service order by month) as previous_month
from with_targets
