{{ config(
    materialized='view',
    pre_hook=[
        "create schema if not exists audit",
        "create table if not exists audit.kpi_snapshots (
            snapshot_id bigint not null,
            period_month date not null,
            source_mart {{ dbt.type_string() }} not null,
            dimension_key {{ dbt.type_string() }} not null,
            kpi {{ dbt.type_string() }} not null,
            kpi_value double,
            closed_at {{ type_instant() }} not null,
            manifest_sha256 {{ dbt.type_string() }} not null,
            code_version {{ dbt.type_string() }},
            forced boolean not null
        )",
    ],
) }}
{#- As reported (the latest period close of each month, from the append-only audit.kpi_snapshots) against the
    current value of the same KPI in kpi_monthly_long. A view, so a close or a rebuild shows here at once.
    The pre-hook creates the snapshot table when no month has been closed yet; pipelines/extracts/period_close.py
    creates the same table (a test keeps the two definitions equal). -#}
with snapshots as (
    select * from {{ source('audit', 'kpi_snapshots') }}
),

latest_close as (
    select
        period_month,
        max(snapshot_id) as snapshot_id
    from snapshots
    group by period_month
),

reported as (
    select s.*
    from snapshots as s
    inner join latest_close as l
        on s.period_month = l.period_month and s.snapshot_id = l.snapshot_id
),

snapshot_meta as (
    select distinct
        period_month,
        snapshot_id,
        closed_at,
        manifest_sha256
    from reported
),

current_values as (
    select c.*
    from {{ ref('kpi_monthly_long') }} as c
    where c.period_month in (select l.period_month from latest_close as l)
),

compared as (
    select
        coalesce(r.period_month, c.period_month) as period_month,
        coalesce(r.source_mart, c.source_mart) as source_mart,
        coalesce(r.dimension_key, c.dimension_key) as dimension_key,
        coalesce(r.kpi, c.kpi) as kpi,
        r.kpi_value as reported_value,
        c.kpi_value as current_value,
        r.kpi is not null as was_reported,
        c.kpi is not null as is_current
    from reported as r
    full outer join current_values as c
        on
            r.period_month = c.period_month
            and r.source_mart = c.source_mart
            and r.dimension_key = c.dimension_key
            and r.kpi = c.kpi
)

select
    cmp.period_month,
    cmp.source_mart,
    cmp.dimension_key,
    cmp.kpi,
    cmp.reported_value,
    cmp.current_value,
    cmp.current_value - cmp.reported_value as difference,
    case
        when not cmp.is_current then 'removed'
        when not cmp.was_reported then 'added'
        when cmp.reported_value is null and cmp.current_value is null then 'unchanged'
        when cmp.reported_value is null or cmp.current_value is null then 'restated'
        -- relative tolerance: floating sums may differ in the last bits between two builds of the same data
        when
            abs(cmp.current_value - cmp.reported_value)
            > 1e-9 * greatest(1.0, abs(cmp.reported_value))
            then 'restated'
        else 'unchanged'
    end as restatement_status,
    m.snapshot_id,
    m.closed_at,
    m.manifest_sha256
from compared as cmp
inner join snapshot_meta as m on cmp.period_month = m.period_month
