{#- Change KPIs per month, service, change type and assignment group. Counts are additive so roll-ups
    (for instance the service scorecard) recompute the ratios from them instead of averaging ratios. -#}
with changes as (
    select * from {{ ref('fct_change') }}
)

select
    change_month as month,
    {{ service_or_unassigned('service') }} as service,
    change_type,
    coalesce(assignment_group, 'unknown') as assignment_group,
    count(*) as changes_total,
    count(case when is_cancelled then 1 end) as changes_cancelled,
    count(case when is_implemented then 1 end) as changes_implemented,
    count(case when has_outcome then 1 end) as changes_with_outcome,
    count(case when is_successful then 1 end) as changes_successful,
    count(case when is_successful_with_issues then 1 end) as changes_successful_with_issues,
    count(case when is_failed_or_backed_out then 1 end) as changes_failed_or_backed_out,
    count(case when is_emergency then 1 end) as changes_emergency,
    count(case when is_unauthorized then 1 end) as changes_unauthorized,
    count(case when is_change_failure then 1 end) as changes_causing_failure,
    100.0 * count(case when is_successful then 1 end)
    / nullif(count(case when has_outcome then 1 end), 0) as change_success_pct,
    100.0 * count(case when is_successful_with_issues then 1 end)
    / nullif(count(case when has_outcome then 1 end), 0) as successful_with_issues_pct,
    100.0 * count(case when is_failed_or_backed_out then 1 end)
    / nullif(count(case when has_outcome then 1 end), 0) as failed_or_backed_out_pct,
    100.0 * count(case when is_emergency then 1 end) / count(*) as emergency_pct,
    100.0 * count(case when is_unauthorized then 1 end)
    / nullif(count(case when is_implemented then 1 end), 0) as unauthorized_pct,
    100.0 * count(case when is_change_failure then 1 end)
    / nullif(count(case when is_implemented then 1 end), 0) as change_failure_pct,
    avg(case when not is_cancelled then lead_time_hours end) as lead_time_hours_mean,
    percentile_cont(0.5) within group (
        order by case when not is_cancelled then lead_time_hours end
    ) as lead_time_hours_median,
    percentile_cont(0.9) within group (
        order by case when not is_cancelled then lead_time_hours end
    ) as lead_time_hours_p90,
    sum(linked_incidents) as incidents_caused,
    sum(linked_incidents_p1) as incidents_caused_p1,
    sum(linked_incidents_p2) as incidents_caused_p2,
    sum(linked_incidents_p3) as incidents_caused_p3,
    sum(linked_incidents_p4) as incidents_caused_p4,
    sum(caused_outage_hours) as outage_hours_caused
from changes
group by 1, 2, 3, 4
