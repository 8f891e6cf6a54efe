"""`availability`: per service and month, availability against its commitment, with the outages counted and
excluded and why.

- `availability_monthly`: marts.kpi_availability_monthly for every month overlapping the range.
- `outages`: the cleaned outages of marts.fct_outage (overlaps merged, approved maintenance taken out) that
  overlap the range, with `treatment` saying whether they counted and, if not, why.
- `outage_records`: every source record behind them (intermediate.int_outage_intervals), planned windows and
  rejected records included, with the cleaned outage each was merged into and how the engine treated it.
"""

from __future__ import annotations

from pipelines.extracts.request import ExtractRequest
from pipelines.extracts.spec import Dataset, ExtractKind

_MONTHS = "m.month >= $first_month and m.month <= $last_day and ($service is null or m.service = $service)"
_OVERLAPS = "{a}.started_at < $end_ts and coalesce({a}.ended_at, $end_ts) >= $start_ts"


def _datasets(request: ExtractRequest) -> list[Dataset]:
    return [
        Dataset(
            name="availability_monthly",
            description="One row per service and month: agreed time, downtime, availability % vs target, budget.",
            sql=f"""
                select
                    m.service,
                    m.month,
                    m.service_calendar,
                    m.days_covered,
                    m.is_partial_month,
                    m.agreed_hours,
                    m.downtime_hours,
                    m.wall_clock_downtime_hours,
                    m.outages,
                    m.availability_pct,
                    m.target_pct,
                    m.target_met,
                    m.mtrs_hours,
                    m.mtbf_hours,
                    m.error_budget_hours,
                    m.error_budget_remaining_hours,
                    m.error_budget_burn_rate
                from marts.kpi_availability_monthly as m
                where {_MONTHS}
            """,
        ),
        Dataset(
            name="outages",
            description="Cleaned outages overlapping the period, counted or not, and why.",
            sql=f"""
                select
                    o.service,
                    o.started_at,
                    o.outage_key,
                    o.ended_at,
                    o.is_open,
                    o.is_counted,
                    case
                        when o.is_counted and o.in_maintenance_hours > 0
                            then 'counted: downtime in agreed hours; the part inside approved maintenance is not'
                        when o.is_counted then 'counted: downtime in agreed service hours'
                        when o.in_maintenance_hours > 0
                            then 'excluded: inside approved maintenance (and/or outside agreed service hours)'
                        else 'excluded: outside agreed service hours'
                    end as treatment,
                    o.duration_hours,
                    o.max_impact_weight,
                    o.weighted_downtime_hours,
                    o.in_maintenance_hours,
                    o.agreed_downtime_hours,
                    o.source_record_count,
                    o.source_outage_ids,
                    o.piece_kinds,
                    o.change_ids
                from marts.fct_outage as o
                where {_OVERLAPS.format(a="o")} and ($service is null or o.service = $service)
            """,
        ),
        Dataset(
            name="outage_records",
            description="Every outage / maintenance record overlapping the period and how the engine treated it.",
            sql=f"""
                select
                    i.service,
                    i.started_at,
                    i.outage_id,
                    i.ended_at,
                    i.outage_type,
                    i.impact_pct,
                    i.change_id,
                    i.ticket_id,
                    i.quality_status,
                    i.is_approved_window,
                    case
                        when i.quality_status <> 'ok' then 'excluded: bad data (' || i.quality_status || ')'
                        when i.outage_type = 'planned' and i.is_approved_window
                            then 'approved maintenance: downtime inside the change window is not counted'
                        when i.outage_type = 'planned'
                            then 'maintenance without an approved change: counted as downtime'
                        when i.outage_type = 'degradation' then 'degradation: counted weighted by impact'
                        else 'unplanned outage: counted inside agreed service hours'
                    end as treatment,
                    (
                        select min(o.outage_key) from marts.fct_outage as o
                        where ',' || o.source_outage_ids || ',' like '%,' || i.outage_id || ',%'
                    ) as merged_into_outage_key
                from intermediate.int_outage_intervals as i
                where {_OVERLAPS.format(a="i")} and ($service is null or i.service = $service)
            """,
        ),
    ]


KIND = ExtractKind(
    name="availability",
    description="availability per service and month vs commitment, with outages counted and excluded and why",
    requires=("marts.kpi_availability_monthly", "marts.fct_outage", "intermediate.int_outage_intervals"),
    coverage_sql=f"select count(*) from marts.kpi_availability_monthly as m where {_MONTHS}",
    datasets=_datasets,
)
