{#- Outage records cut into the pieces the availability engine counts, per service:
    - downtime pieces (weight = impact weight): unplanned outages, degradations, the parts of an approved
      maintenance window outside its change's approved window (an overrun, or an early start), and whole
      maintenance windows without an approved change (unauthorized maintenance is downtime to the customer);
    - maintenance pieces: the approved part of a planned window. Nothing inside them counts as downtime.
    Records failing quality_status are left out (they are flagged by the tests on int_outage_intervals).
    Ephemeral: a CTE of its two readers (int_outage_clusters takes the downtime pieces, int_outage_segments the
    few approved-maintenance ones), so ~100k rows are not written to disk and read back on every run. -#}
{{ config(materialized='ephemeral') }}

with as_of as (
    select as_of from {{ ref('int_availability_as_of') }}
),

intervals as (
    select
        i.*,
        -- an open outage runs until the as-of instant
        coalesce(i.ended_at, greatest(a.as_of, i.started_at)) as effective_end_at
    from {{ ref('int_outage_intervals') }} as i
    cross join as_of as a
    where i.quality_status = 'ok'
),

approved as (
    select
        outage_id,
        service,
        change_id,
        started_at,
        effective_end_at,
        is_open,
        greatest(started_at, coalesce(change_planned_start, started_at)) as approved_start,
        least(effective_end_at, coalesce(change_planned_end, effective_end_at)) as approved_end
    from intervals
    where is_approved_window
),

pieces as (
    select
        outage_id,
        service,
        change_id,
        outage_type as piece_kind,
        started_at as piece_start,
        effective_end_at as piece_end,
        impact_weight as weight,
        is_open
    from intervals
    where outage_type in ('unplanned', 'degradation')

    union all

    select
        outage_id,
        service,
        change_id,
        'maintenance_unapproved' as piece_kind,
        started_at as piece_start,
        effective_end_at as piece_end,
        1.0 as weight,
        is_open
    from intervals
    where outage_type = 'planned' and not is_approved_window

    union all

    select
        outage_id,
        service,
        change_id,
        'maintenance' as piece_kind,
        approved_start as piece_start,
        approved_end as piece_end,
        0.0 as weight,
        is_open
    from approved
    where approved_end > approved_start

    union all

    -- started before the approved window opened
    select
        outage_id,
        service,
        change_id,
        'maintenance_early' as piece_kind,
        started_at as piece_start,
        least(effective_end_at, approved_start) as piece_end,
        1.0 as weight,
        is_open
    from approved
    where approved_start > started_at

    union all

    -- ran past the approved window's end: unplanned for the overrun
    select
        outage_id,
        service,
        change_id,
        'maintenance_overrun' as piece_kind,
        greatest(started_at, approved_end) as piece_start,
        effective_end_at as piece_end,
        1.0 as weight,
        is_open
    from approved
    where approved_end < effective_end_at
)

select
    outage_id,
    service,
    change_id,
    piece_kind,
    piece_start,
    piece_end,
    weight,
    piece_kind <> 'maintenance' as is_downtime,
    is_open
from pieces
where piece_end > piece_start
