{#- Reopens and reassignments counted from each incident's own history against the export's own counters
    (tickets.reopen_count / reassignment_count), per UTC month of opening: how far they differ, and what the
    reopen rate and first-contact resolution would be on each alone next to the value the KPI marts use (the
    larger count per ticket; fct_incident). A snapshot log misses changes made between two snapshots, so the
    source above history is expected there; history above source points at a counter the tool does not keep. -#}
with incidents as (
    select
        cast(date_trunc('month', opened_at) as date) as month,
        is_resolved,
        reopens,
        reassignments,
        reopens_from_history,
        reassignments_from_history,
        reopens_from_source,
        reassignments_from_source,
        reopens_from_source is not null or reassignments_from_source is not null as has_source_counters,
        coalesce(
            reopens_from_source > reopens_from_history or reassignments_from_source > reassignments_from_history, false
        ) as source_above_history,
        coalesce(
            reopens_from_source < reopens_from_history or reassignments_from_source < reassignments_from_history, false
        ) as history_above_source,
        -- the source-only view falls back to history where the export has no counter
        coalesce(reopens_from_source, reopens_from_history) as reopens_source_view,
        coalesce(reassignments_from_source, reassignments_from_history) as reassignments_source_view
    from {{ ref('fct_incident') }}
)

select
    month,
    count(*) as incidents,
    cast(sum(case when has_source_counters then 1 else 0 end) as bigint) as incidents_with_source_counters,
    cast(sum(reopens_from_history) as bigint) as reopens_from_history,
    cast(sum(reopens_from_source) as bigint) as reopens_from_source,
    cast(sum(reassignments_from_history) as bigint) as reassignments_from_history,
    cast(sum(reassignments_from_source) as bigint) as reassignments_from_source,
    cast(sum(case when source_above_history then 1 else 0 end) as bigint) as incidents_source_above_history,
    cast(sum(case when history_above_source then 1 else 0 end) as bigint) as incidents_history_above_source,
    100.0 * sum(case when reopens_from_history > 0 then 1 else 0 end)
    / nullif(sum(case when is_resolved or reopens_from_history > 0 then 1 else 0 end), 0) as reopen_pct_from_history,
    100.0 * sum(case when reopens_source_view > 0 then 1 else 0 end)
    / nullif(sum(case when is_resolved or reopens_source_view > 0 then 1 else 0 end), 0) as reopen_pct_from_source,
    100.0 * sum(case when reopens > 0 then 1 else 0 end)
    / nullif(sum(case when is_resolved or reopens > 0 then 1 else 0 end), 0) as reopen_pct,
    100.0 * sum(case when is_resolved and reopens_from_history = 0 and reassignments_from_history = 0 then 1 else 0 end)
    / nullif(sum(case when is_resolved then 1 else 0 end), 0) as fcr_pct_from_history,
    100.0 * sum(case when is_resolved and reopens_source_view = 0 and reassignments_source_view = 0 then 1 else 0 end)
    / nullif(sum(case when is_resolved then 1 else 0 end), 0) as fcr_pct_from_source,
    100.0 * sum(case when is_resolved and reopens = 0 and reassignments = 0 then 1 else 0 end)
    / nullif(sum(case when is_resolved then 1 else 0 end), 0) as fcr_pct
from incidents
group by month
