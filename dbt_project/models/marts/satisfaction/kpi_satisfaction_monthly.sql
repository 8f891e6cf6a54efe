{#- Satisfaction per month the survey was sent (UTC), service, assignment group and priority of the ticket.
    Every mean and share is over the surveys that have that score: no response gives null, never 0. -#}
select
    survey_month as month,
    service,
    assignment_group,
    priority,
    count(*) as surveys_sent,
    count(case when has_response then 1 end) as responses,
    100.0 * count(case when has_response then 1 end) / count(*) as response_rate_pct,
    count(csat_score) as csat_responses,
    sum(csat_score) as csat_score_sum,
    avg(csat_score) as csat_mean,
    percentile_cont(0.5) within group (order by csat_score) as csat_median,
    count(case when is_satisfied then 1 end) as satisfied_responses,
    100.0 * count(case when is_satisfied then 1 end) / nullif(count(csat_score), 0) as satisfied_pct,
    count(nps_score) as nps_responses,
    count(case when nps_category = 'promoter' then 1 end) as promoters,
    count(case when nps_category = 'passive' then 1 end) as passives,
    count(case when nps_category = 'detractor' then 1 end) as detractors,
    100.0 * (
        count(case when nps_category = 'promoter' then 1 end)
        - count(case when nps_category = 'detractor' then 1 end)
    ) / nullif(count(nps_score), 0) as nps,
    count(case when sla_outcome = 'met' then csat_score end) as csat_responses_sla_met,
    avg(case when sla_outcome = 'met' then csat_score end) as csat_mean_sla_met,
    count(case when sla_outcome = 'breached' then csat_score end) as csat_responses_sla_breached,
    avg(case when sla_outcome = 'breached' then csat_score end) as csat_mean_sla_breached,
    count(case when quality_status <> 'ok' then 1 end) as flagged_surveys
from {{ ref('fct_survey') }}
group by 1, 2, 3, 4
