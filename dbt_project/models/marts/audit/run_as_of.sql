{#- The run's "now", published for analysts and the report: the instant open SLA clocks, backlog ages, open
    outages and freshness are measured to, where it comes from, and the load that set it (raw.load_log.load_id:
    its file, load time and counts). -#}
with now_ as (
    select
        as_of,
        as_of_source
    from {{ ref('int_sla_as_of') }}
),

latest_export as (
    select
        load_id,
        exported_at
    from {{ source('raw', 'load_log') }}
    where status = 'loaded' and exported_at is not null
    qualify row_number() over (order by exported_at desc, load_id desc) = 1
)

select
    n.as_of,
    n.as_of_source,
    e.load_id as as_of_load_id
from now_ as n
left join latest_export as e on n.as_of_source = 'export'
