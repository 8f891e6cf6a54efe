{#- One row per cleaned outage: the outage and degradation records of a service merged where they overlap or
    touch, with approved maintenance taken out and each instant weighted by the largest impact covering it.
    An outage that lies wholly inside approved maintenance, or wholly outside service hours, is kept here but
    not counted (is_counted = false). The intermediates key an outage by (service, cluster_no); its text key
    outage_key = service @ start instant is built here, once per outage. -#}
with segments as (
    select * from {{ ref('int_outage_segments') }}
),

outages as (
    select
        service,
        cluster_no,
        max(max_weight) as max_impact_weight,
        sum(
            downtime_weight * ({{ epoch_seconds('segment_end') }} - {{ epoch_seconds('segment_start') }})
        ) as weighted_downtime_seconds,
        sum(
            case when in_maintenance then {{ epoch_seconds('segment_end') }} - {{ epoch_seconds('segment_start') }}
                else 0
            end
        ) as in_maintenance_seconds
    from segments
    group by service, cluster_no
),

agreed as (
    select
        service,
        cluster_no,
        sum(agreed_downtime_seconds) as agreed_downtime_seconds,
        min(part_start) as first_downtime_at
    from {{ ref('int_availability_downtime_days') }}
    group by service, cluster_no
),

clusters as (
    select * from {{ ref('int_outage_clusters') }}
),

-- most outages are one record: no string aggregation needed (it dominates the cost at a million records)
sources as (
    select
        service,
        cluster_no,
        cluster_start,
        cluster_end,
        1 as source_record_count,
        outage_id as source_outage_ids,
        piece_kind as piece_kinds,
        change_id as change_ids,
        is_open
    from clusters
    where pieces_in_cluster = 1

    union all

    select
        service,
        cluster_no,
        min(cluster_start) as cluster_start,
        min(cluster_end) as cluster_end,
        count(distinct outage_id) as source_record_count,
        {{ ordered_string_agg('outage_id', "','", distinct=true) }} as source_outage_ids,
        {{ ordered_string_agg('piece_kind', "','", distinct=true) }} as piece_kinds,
        {{ ordered_string_agg('change_id', "','", distinct=true) }} as change_ids,
        max(case when is_open then 1 else 0 end) = 1 as is_open
    from clusters
    where pieces_in_cluster > 1
    group by service, cluster_no
)

select
    s.service || '@' || {{ instant_text('s.cluster_start') }} as outage_key,
    s.service,
    s.cluster_start as started_at,
    s.cluster_end as ended_at,
    cast(date_trunc('month', {{ utc_date('s.cluster_start') }}) as date) as month,
    ({{ epoch_seconds('s.cluster_end') }} - {{ epoch_seconds('s.cluster_start') }}) / 3600.0 as duration_hours,
    o.max_impact_weight,
    o.weighted_downtime_seconds / 3600.0 as weighted_downtime_hours,
    o.in_maintenance_seconds / 3600.0 as in_maintenance_hours,
    coalesce(a.agreed_downtime_seconds, 0) / 3600.0 as agreed_downtime_hours,
    a.first_downtime_at,
    coalesce(a.agreed_downtime_seconds, 0) > 0 as is_counted,
    s.source_record_count,
    s.source_outage_ids,
    s.piece_kinds,
    s.change_ids,
    s.change_ids is not null as is_linked_to_change,
    s.is_open
-- every cluster has segments (its pieces cover it without a gap)
from sources as s
inner join outages as o on s.service = o.service and s.cluster_no = o.cluster_no
left join agreed as a on s.service = a.service and s.cluster_no = a.cluster_no
