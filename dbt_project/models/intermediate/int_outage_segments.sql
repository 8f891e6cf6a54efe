{#- The cleaned downtime timeline of every service, as elementary segments of merged outages.

    1. Downtime pieces of a service that overlap or touch are merged into one outage (cluster): overlapping
       records are never double counted and a cluster is one outage for MTRS / MTBF.
    2. Each cluster is cut at every piece boundary and at every approved-maintenance boundary inside it.
    3. Each elementary segment gets the MAX impact weight of the pieces covering it (a 50 % degradation
       under a full outage counts 100 %, not 150 %), or 0 when it lies inside approved maintenance.
    4. B(t), the service-hours clock of the service's calendar (int_calendar_business_segments, shared with
       the SLA engine), is looked up at both ends: agreed (in-hours) seconds of a segment = B(end) - B(start).
       A service without a service-hours calendar is 24/7: B(t) = epoch seconds.
    Only joins on equality or ASOF are used, so the model scales to millions of records. -#}
with pieces as (
    select * from {{ ref('int_outage_pieces') }}
),

downtime as (
    select * from pieces where is_downtime
),

flagged as (
    select
        *,
        case
            when piece_start <= max(piece_end)
                    over (
                        partition by service order by piece_start, piece_end, outage_id, piece_kind
                        rows between unbounded preceding and 1 preceding
                    )
                then 0
            else 1
        end as starts_cluster
    from downtime
),

numbered as (
    select
        *,
        sum(starts_cluster) over (
            partition by service order by piece_start, piece_end, outage_id, piece_kind
            rows between unbounded preceding and current row
        ) as cluster_no
    from flagged
),

clusters as (
    select
        service,
        cluster_no,
        min(piece_start) as cluster_start,
        max(piece_end) as cluster_end
    from numbered
    group by service, cluster_no
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
    from pieces
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

-- maintenance edges falling inside a cluster become cut points of that cluster
maintenance_cuts as (
    select
        c.service,
        c.cluster_no,
        e.edge_at
    from maintenance_edges as e
    {{ join_interval_containing('clusters', 'c', 'e.service = c.service', 'e.edge_at', 'cluster_start', 'cluster_end') }}
    where e.edge_at > c.cluster_start and e.edge_at < c.cluster_end
),

cuts as (
    select
        service,
        cluster_no,
        piece_start as cut_at
    from numbered
    union
    select
        service,
        cluster_no,
        piece_end
    from numbered
    union
    select
        service,
        cluster_no,
        edge_at
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

weighted as (
    select
        s.service,
        s.cluster_no,
        s.segment_start,
        s.segment_end,
        max(p.weight) as max_weight
    from elementary as s
    inner join numbered as p
        on
            s.service = p.service
            and s.cluster_no = p.cluster_no
            and s.segment_start >= p.piece_start
            and s.segment_end <= p.piece_end
    where s.segment_end is not null
    group by s.service, s.cluster_no, s.segment_start, s.segment_end
),

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
)

select
    x.service,
    x.service || '@' || cast(c.cluster_start as varchar) as outage_key,
    c.cluster_start as outage_start,
    c.cluster_end as outage_end,
    x.segment_start,
    x.segment_end,
    x.max_weight,
    x.in_maintenance,
    case when x.in_maintenance then 0.0 else x.max_weight end as downtime_weight,
    x.calendar_id,
    case
        when x.calendar_id is null then {{ epoch_seconds('x.segment_start') }}
        else {{ business_clock_at('b_start', 'x.segment_start') }}
    end as clock_at_start,
    case
        when x.calendar_id is null then {{ epoch_seconds('x.segment_end') }}
        else {{ business_clock_at('b_end', 'x.segment_end') }}
    end as clock_at_end
from with_calendar as x
inner join clusters as c on x.service = c.service and x.cluster_no = c.cluster_no
{{ business_clock_join('b_start', 'x.calendar_id', 'x.segment_start') }}
{{ business_clock_join('b_end', 'x.calendar_id', 'x.segment_end') }}
