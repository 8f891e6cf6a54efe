{#- Our resolution SLA outcome against the source system's own flag (ServiceNow made_sla, carried as
    tickets.source_made_sla), by ticket type, service and priority, so a user sees where the definitions
    differ. Ours "made" = no resolution cycle breached (open tickets past target count as breached). Tickets
    without a source flag or without an SLA of ours are left out. -#}
with compared as (
    select
        t.ticket_type,
        t.service,
        t.priority,
        t.source_made_sla,
        not o.resolution_breached as ours_made_sla
    from {{ ref('stg_raw__tickets') }} as t
    inner join {{ ref('fct_ticket_sla_outcome') }} as o on t.ticket_id = o.ticket_id
    where t.source_made_sla is not null
)

select
    ticket_type,
    service,
    priority,
    count(*) as tickets_compared,
    cast(sum(case when source_made_sla and ours_made_sla then 1 else 0 end) as bigint) as both_met,
    cast(sum(case when not source_made_sla and not ours_made_sla then 1 else 0 end) as bigint) as both_breached,
    cast(sum(case when source_made_sla and not ours_made_sla then 1 else 0 end) as bigint) as source_met_ours_breached,
    cast(sum(case when not source_made_sla and ours_made_sla then 1 else 0 end) as bigint) as source_breached_ours_met,
    100.0 * sum(case when source_made_sla = ours_made_sla then 1 else 0 end) / count(*) as agreement_pct,
    100.0 * sum(case when source_made_sla then 1 else 0 end) / count(*) as source_attainment_pct,
    100.0 * sum(case when ours_made_sla then 1 else 0 end) / count(*) as ours_attainment_pct
from compared
group by ticket_type, service, priority
