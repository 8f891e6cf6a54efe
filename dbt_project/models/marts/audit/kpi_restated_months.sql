{{ config(materialized='view') }}
{#- One row per closed month: how many of its reported KPIs have moved since the close. What the dashboards
    read to flag a restated month. -#}
select
    period_month,
    snapshot_id,
    closed_at,
    count(*) as kpis_compared,
    count(case when restatement_status <> 'unchanged' then 1 end) as kpis_restated,
    count(case when restatement_status <> 'unchanged' then 1 end) > 0 as is_restated
from {{ ref('kpi_restatements') }}
group by period_month, snapshot_id, closed_at
