{#- Incident KPIs per period for the incidents OPENED in it (a cohort: each incident is counted once, in
    the period it was opened, UTC), by service, priority, assignment group, category and channel.
    period: a dbt.date_trunc datepart ('day', 'month'). Shared by kpi_incident_daily and _monthly.

    Incremental: a run recomputes only the groups (period + the five columns) that an incident entered or
    left, or in which one of its KPI inputs changed (int_incident_kpi_changes); their rows are deleted first.
    Every group is rebuilt when the per-ticket models recompute every ticket (macros/ticket_refresh.sql). -#}

{#- The key of an incident's KPI group for `period`, from a fct_incident row (opened_at) or, with
    period_column, from a KPI row (period_start). -#}
{% macro incident_kpi_group_key(period, period_column=none) -%}
    {%- set start = period_column or 'cast(' ~ dbt.date_trunc(period, 'opened_at') ~ ' as date)' -%}
    {{ tuple_key([start, 'service', 'priority', 'assignment_group', 'category', 'channel']) }}
{%- endmacro %}

{#- Materialization of the incident KPI tables: append the recomputed groups after deleting them. -#}
{% macro incident_kpi_model(period) -%}
    {{ delete_then_append_model("is_changed_incident_kpi_group('" ~ period ~ "', 'period_start')") }}
{%- endmacro %}

{#- Per refreshed incident: its day and month group keys and the key of its KPI inputs
    (int_incident_kpi_keys keeps these; int_incident_kpi_changes compares them with the kept ones).
    The inputs are the fct_incident columns incident_kpis() reads besides opened_at and the group columns: a
    change in any of them changes a KPI row. Keep the list in step with incident_kpis() below. -#}
{% macro refreshed_incident_kpi_keys() -%}
    {%- set kpi_inputs = [
        'is_resolved', 'resolve_calendar_hours', 'resolve_business_hours', 'resolve_sla_business_hours',
        'response_calendar_minutes', 'response_business_minutes', 'response_sla_state', 'resolution_sla_state',
        'is_first_contact_resolution', 'is_resolved_by_first_group', 'reopens', 'reassignments',
    ] -%}
    select
        ticket_id,
        {{ incident_kpi_group_key('day') }} as day_key,
        {{ incident_kpi_group_key('month') }} as month_key,
        {{ tuple_key(kpi_inputs) }} as inputs_key
    from {{ ref('fct_incident') }}
    where {{ is_refreshed_ticket('ticket_id') }}
{%- endmacro %}

{#- Condition on a row: its group is one this run recomputes (true when every group is rebuilt). -#}
{% macro is_changed_incident_kpi_group(period, period_column=none) -%}
    {%- set changes = ref('int_incident_kpi_changes') -%}
    {%- if is_incremental() and not refreshes_every_ticket() -%}
        {{ incident_kpi_group_key(period, period_column) }} in (
            select group_key from {{ changes }} where period = '{{ period }}'
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro incident_kpis(period) -%}
with incidents as (
    select
        cast({{ dbt.date_trunc(period, 'opened_at') }} as date) as period_start,
        *
    from {{ ref('fct_incident') }}
    where {{ is_changed_incident_kpi_group(period) }}
)

select
    period_start,
    service,
    priority,
    assignment_group,
    category,
    channel,
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
from incidents
group by period_start, service, priority, assignment_group, category, channel
{%- endmacro %}
