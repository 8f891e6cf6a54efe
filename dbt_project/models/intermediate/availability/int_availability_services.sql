{#- The services the availability marts report on, with their service-hours calendar (blank = 24/7) and
    availability target as a fraction: the reference list (services.csv) plus any service that only appears in
    outage records (24/7, default target). The unassigned service (var unassigned_service) is left out: no
    availability is committed for work attributed to no service. A service-specific row of kpi_targets wins over the '*' default.
    Ephemeral: a CTE of the service-day spine and of kpi_availability_monthly (which needs the target only). -#}
{{ config(materialized='ephemeral') }}

with reference_services as (
    select
        service,
        nullif(trim(service_calendar_id), '') as calendar_id,
        availability_target
    from {{ ref('services') }}
    where service != '{{ var("unassigned_service") }}'
),

services as (
    select
        service,
        calendar_id,
        availability_target
    from reference_services
    union all
    select distinct
        o.service,
        cast(null as {{ dbt.type_string() }}) as calendar_id,
        cast(null as double) as availability_target
    from {{ ref('int_outage_intervals') }} as o
    where not exists (select 1 from reference_services as r where r.service = o.service)
),

-- kpi_targets holds percent
default_targets as (
    select
        s.service,
        t.target / 100.0 as target_ratio,
        row_number() over (partition by s.service order by case when t.service = s.service then 0 else 1 end) as rn
    from services as s
    inner join {{ ref('kpi_targets') }} as t
        on t.kpi = 'availability_pct' and t.service in (s.service, '*')
)

select
    s.service,
    s.calendar_id,
    coalesce(s.availability_target, t.target_ratio) as target_ratio
from services as s
left join default_targets as t on s.service = t.service and t.rn = 1
