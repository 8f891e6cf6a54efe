{#- kpi_incident_daily and kpi_incident_monthly: the same measures over the incidents opened in a UTC day or
    month (medians cannot be rolled up from days to months), grouped by period and the five dimensions. -#}

{#- The group columns of a fct_incident row for `period` (a dbt.date_trunc datepart). -#}
{% macro incident_kpi_group(period) -%}
    cast({{ dbt.date_trunc(period, 'opened_at') }} as date) as period_start,
    service,
    priority,
    assignment_group,
    category,
    channel
{%- endmacro %}

{#- The KPI measures over a group of fct_incident rows. -#}
{% macro incident_kpi_measures() -%}
    count(*) as incidents_opened,
    cast(sum(case when is_resolved then 1 else 0 end) as bigint) as incidents_resolved,
    avg(resolve_calendar_hours) as mttr_calendar_hours_mean,
    percentile_cont(0.5) within group (order by resolve_calendar_hours) as mttr_calendar_hours_median,
    percentile_cont(0.9) within group (order by resolve_calendar_hours) as mttr_calendar_hours_p90,
    avg(resolve_business_hours) as mttr_business_hours_mean,
    percentile_cont(0.5) within group (order by resolve_business_hours) as mttr_business_hours_median,
    percentile_cont(0.9) within group (order by resolve_business_hours) as mttr_business_hours_p90,
    avg(resolve_sla_business_hours) as mttr_sla_business_hours_mean,
    percentile_cont(0.5) within group (order by resolve_sla_business_hours) as mttr_sla_business_hours_median,
    avg(response_calendar_minutes) as mtta_calendar_minutes_mean,
    percentile_cont(0.5) within group (order by response_calendar_minutes) as mtta_calendar_minutes_median,
    percentile_cont(0.9) within group (order by response_calendar_minutes) as mtta_calendar_minutes_p90,
    avg(response_business_minutes) as mtta_business_minutes_mean,
    cast(sum(case when response_sla_state = 'met' then 1 else 0 end) as bigint) as response_sla_met,
    cast(sum(case when response_sla_state = 'breached' then 1 else 0 end) as bigint) as response_sla_breached,
    100.0 * sum(case when response_sla_state = 'met' then 1 else 0 end)
    / nullif(sum(case when response_sla_state in ('met', 'breached') then 1 else 0 end), 0)
        as response_sla_attainment_pct,
    cast(sum(case when resolution_sla_state = 'met' then 1 else 0 end) as bigint) as resolution_sla_met,
    cast(sum(case when resolution_sla_state = 'breached' then 1 else 0 end) as bigint) as resolution_sla_breached,
    100.0 * sum(case when resolution_sla_state = 'met' then 1 else 0 end)
    / nullif(sum(case when resolution_sla_state in ('met', 'breached') then 1 else 0 end), 0)
        as resolution_sla_attainment_pct,
    cast(sum(case when is_first_contact_resolution then 1 else 0 end) as bigint) as first_contact_resolutions,
    100.0 * sum(case when is_first_contact_resolution then 1 else 0 end)
    / nullif(sum(case when is_resolved then 1 else 0 end), 0) as fcr_pct,
    100.0 * sum(case when is_resolved_by_first_group then 1 else 0 end)
    / nullif(sum(case when is_resolved then 1 else 0 end), 0) as resolved_by_first_group_pct,
    -- "resolved tickets" = ever resolved: a reopened ticket still open was resolved once and counts
    cast(sum(case when is_resolved or reopens > 0 then 1 else 0 end) as bigint) as incidents_ever_resolved,
    cast(sum(case when reopens > 0 then 1 else 0 end) as bigint) as resolved_reopened,
    100.0 * sum(case when reopens > 0 then 1 else 0 end)
    / nullif(sum(case when is_resolved or reopens > 0 then 1 else 0 end), 0) as reopen_pct,
    avg(reassignments) as reassignments_mean,
    cast(sum(case when reassignments = 0 then 1 else 0 end) as bigint) as reassigned_0,
    cast(sum(case when reassignments = 1 then 1 else 0 end) as bigint) as reassigned_1,
    cast(sum(case when reassignments = 2 then 1 else 0 end) as bigint) as reassigned_2,
    cast(sum(case when reassignments >= 3 then 1 else 0 end) as bigint) as reassigned_3_plus
{%- endmacro %}
