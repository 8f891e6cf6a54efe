{#- Downtime pieces of a service that overlap or touch, merged into one outage (a cluster): overlapping records
    are never double counted, and a cluster is one outage for outage counts, MTRS and MTBF. One row per downtime
    piece with its cluster (gaps and islands: a piece opens a new cluster unless it starts at or before the
    latest end seen so far in the service). Ties in the ordering cannot change the clusters, so the order
    needs no tie-breaker. A cluster is keyed by (service, cluster_no) here and downstream; the text key of
    fct_outage (service @ start) is built once there, for the ~85k outages instead of every piece. -#}
with downtime as (
    select * from {{ ref('int_outage_pieces') }}
    where is_downtime
),

flagged as (
    select
        *,
        case
            when piece_start <= max(piece_end)
                    over (
                        partition by service order by piece_start, piece_end
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
            partition by service order by piece_start, piece_end
            rows between unbounded preceding and current row
        ) as cluster_no
    from flagged
),

bounds as (
    select
        service,
        cluster_no,
        min(piece_start) as cluster_start,
        max(piece_end) as cluster_end,
        count(*) as pieces_in_cluster
    from numbered
    group by service, cluster_no
)

select
    n.service,
    n.cluster_no,
    b.cluster_start,
    b.cluster_end,
    b.pieces_in_cluster,
    n.outage_id,
    n.change_id,
    n.piece_kind,
    n.piece_start,
    n.piece_end,
    n.weight,
    n.is_open
from numbered as n
inner join bounds as b on n.service = b.service and n.cluster_no = b.cluster_no
