{#- One row per outage record, classified for the availability engine:
    - quality_status flags records that must not be counted (an end before the start); they stay visible here
      and in the data-quality test of this model, and are left out of every availability figure;
    - open outages (no ended_at) run until the as-of instant (applied in int_outage_pieces);
    - impact_weight: 1 for unplanned outages, impact_pct / 100 for degradations (100 % when impact_pct is
      missing, so a degradation nobody sized is never silently under-counted);
    - planned windows are "approved" only when they name a change with an approval timestamp; the approved part
      is the window clipped to the change's planned_start..planned_end (an absent bound does not clip). -#}
with outages as (
    select * from {{ ref('stg_raw__outages') }}
),

changes as (
    select
        change_id,
        approved_at,
        planned_start,
        planned_end,
        close_code
    from {{ ref('stg_raw__changes') }}
)

select
    o.outage_id,
    o.service,
    o.ci,
    o.outage_type,
    o.impact_pct,
    o.change_id,
    o.ticket_id,
    o.started_at,
    o.ended_at,
    o.ended_at is null as is_open,
    case
        when o.ended_at < o.started_at then 'ends_before_start'
        when o.impact_pct < 0 or o.impact_pct > 100 then 'impact_pct_out_of_range'
        else 'ok'
    end as quality_status,
    case
        when o.outage_type = 'degradation' then coalesce(o.impact_pct, 100) / 100.0
        else 1.0
    end as impact_weight,
    o.outage_type = 'planned'
    and c.approved_at is not null
    and coalesce(c.close_code, '') <> 'cancelled' as is_approved_window,
    c.planned_start as change_planned_start,
    c.planned_end as change_planned_end
from outages as o
left join changes as c on o.change_id = c.change_id
