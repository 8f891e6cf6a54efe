{#- One row per ticket with SLA clocks, for splitting satisfaction by SLA met vs breached:
    breached = any SLA clock of the ticket (response or resolution, any cycle) breached;
    met = every clock stopped within target. A ticket with a clock still running and none breached, or with
    only cancelled clocks, gets no outcome and is in neither split. -#}
select
    ticket_id,
    case
        when max(case when breached then 1 else 0 end) = 1 then 'breached'
        when min(case when sla_state = 'met' then 1 else 0 end) = 1 then 'met'
    end as sla_outcome
from {{ ref('fct_ticket_sla') }}
group by ticket_id
