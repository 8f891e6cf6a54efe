{#- The cleaned downtime timeline of every service, as elementary segments of merged outages.

    1. Downtime pieces of a service that overlap or touch are merged into one outage (int_outage_clusters).
    2. Each cluster is cut at every piece boundary and at every approved-maintenance boundary inside it.
    3. Each elementary segment gets the MAX impact weight of the pieces covering it (a 50 % degradation
       under a full outage counts 100 %, not 150 %), or 0 when it lies inside approved maintenance.
    4. B(t), the service-hours clock of the service's calendar (int_calendar_business_segments, shared with
       the SLA engine), is looked up at both ends: agreed (in-hours) seconds of a segment = B(end) - B(start).
       A service without a service-hours calendar is 24/7: B(t) = epoch seconds.
    Only joins on equality or ASOF are used, so the model scales to millions of records. An outage is keyed
    by (service, cluster_no); its bounds and text key are in int_outage_clusters and fct_outage, not repeated
    on every segment. -#}
with numbered as (
    select
        service,
        cluster_no,
        cluster_start,
        cluster_end,
        pieces_in_cluster,
        piece_start,
        piece_end,
        weight
    from {{ ref('int_outage_clusters') }}
),

-- approved maintenance, merged per service into disjoint intervals
maintenance_flagged as (
    select
        service,
        piece_start,
        piece_end,
        case
            when piece_start <= max(piece_end)
                    over (
                        partition by service order by piece_start, piece_end
                        rows between unbounded preceding and 1 preceding
                    )
                then 0
            else 1
        end as starts_window
    from {{ ref('int_outage_pieces') }}
    where not is_downtime
),

maintenance_numbered as (
    select
        *,
        sum(starts_window) over (
            partition by service order by piece_start, piece_end
            rows between unbounded preceding and current row
        ) as window_no
    from maintenance_flagged
),

maintenance as (
    select
        service,
        min(piece_start) as window_start,
        max(piece_end) as window_end
    from maintenance_numbered
    group by service, window_no
),

maintenance_edges as (
    select
        service,
        window_start as edge_at
    from maintenance
    union
    select
        service,
        window_end
    from maintenance
),

-- Maintenance edges falling inside a cluster become cut points of that cluster. The latest piece starting at
-- or before an edge belongs to the latest cluster starting at or before it (clusters are disjoint and hold
-- every piece starting inside them), so the pieces serve as the lookup table of the clusters.
maintenance_cuts as (
    select
        c.service,
        c.cluster_no,
        e.edge_at
    from maintenance_edges as e
    {{ join_interval_containing('numbered', 'c', 'e.service = c.service', 'e.edge_at', 'piece_start', 'cluster_end') }}
    where e.edge_at > c.cluster_start and e.edge_at < c.cluster_end
),

-- Fast path: an outage made of one piece with no maintenance edge inside is its own single segment.
cut_clusters as (
    select distinct
        service,
        cluster_no
    from maintenance_cuts
),

piece_counts as (
    select
        n.*,
        k.cluster_no is not null as has_maintenance_cut
    from numbered as n
    left join cut_clusters as k on n.service = k.service and n.cluster_no = k.cluster_no
),

simple_segments as (
    select
        service,
        cluster_no,
        cluster_start,
        cluster_end,
        piece_start as segment_start,
        piece_end as segment_end,
        weight as max_weight
    from piece_counts
    where pieces_in_cluster = 1 and not has_maintenance_cut
),

complex_pieces as (
    select * from piece_counts
    where pieces_in_cluster > 1 or has_maintenance_cut
),

cuts as (
    select
        service,
        cluster_no,
        piece_start as cut_at
    from complex_pieces
    union
    select
        service,
        cluster_no,
        piece_end as cut_at
    from complex_pieces
    union
    select
        service,
        cluster_no,
        edge_at as cut_at
    from maintenance_cuts
),

elementary as (
    select
        service,
        cluster_no,
        cut_at as segment_start,
        lead(cut_at) over (partition by service, cluster_no order by cut_at) as segment_end
    from cuts
),

-- every piece of a group has the same cluster bounds: min() just carries them
complex_segments as (
    select
        s.service,
        s.cluster_no,
        min(p.cluster_start) as cluster_start,
        min(p.cluster_end) as cluster_end,
        s.segment_start,
        s.segment_end,
        max(p.weight) as max_weight
    from elementary as s
    inner join complex_pieces as p
        on
            s.service = p.service
            and s.cluster_no = p.cluster_no
            and s.segment_start >= p.piece_start
            and s.segment_end <= p.piece_end
    where s.segment_end is not null
    group by s.service, s.cluster_no, s.segment_start, s.segment_end
),

weighted as (
    select * from simple_segments
    union all
    select * from complex_segments
),

-- Inside approved maintenance? Maintenance edges inside a cluster are cuts, so no segment straddles a
-- window edge: one lookup of its start in the (merged, disjoint) windows decides the whole segment.
excluded as (
    select
        w.*,
        coalesce(w.segment_start < m.window_end, false) as in_maintenance
    from weighted as w
    {{ join_interval_containing('maintenance', 'm', 'w.service = m.service', 'w.segment_start', 'window_start', 'window_end') }}
),

services as (
    select
        service,
        nullif(trim(service_calendar_id), '') as calendar_id
    from {{ ref('services') }}
),

with_calendar as (
    select
        e.*,
        s.calendar_id
    from excluded as e
    left join services as s on e.service = s.service
),

-- 24/7 services read the clock as epoch seconds; only services with a calendar need the clock lookups
clocked as (
    select
        x.*,
        {{ epoch_seconds('x.segment_start') }} as clock_at_start,
        {{ epoch_seconds('x.segment_end') }} as clock_at_end
    from with_calendar as x
    where x.calendar_id is null

    union all

    select
        x.*,
        {{ business_clock_at('b_start', 'x.segment_start') }} as clock_at_start,
        {{ business_clock_at('b_end', 'x.segment_end') }} as clock_at_end
    from with_calendar as x
    {{ business_clock_join('b_start', 'x.calendar_id', 'x.segment_start') }}
    {{ business_clock_join('b_end', 'x.calendar_id', 'x.segment_end') }}
    where x.calendar_id is not null
)

select
    service,
    cluster_no,
    segment_start,
    segment_end,
    max_weight,
    in_maintenance,
    case when in_maintenance then 0.0 else max_weight end as downtime_weight,
    clock_at_start,
    clock_at_end
from clocked
