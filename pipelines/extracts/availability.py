"""`availability`: per service and month, availability against its commitment, and every outage of the period
with whether it counted and why not.

Months: every month overlapping the range. Outages: every record of marts.fct_outage overlapping the range
(planned windows, excluded and counted ones alike), so an auditor sees what was left out as well as what counted.
"""

from __future__ import annotations

from pipelines.extracts.request import ExtractRequest
from pipelines.extracts.spec import Dataset, ExtractKind

_MONTHS = "m.month >= $first_month and m.month <= $last_day and ($service is null or m.service = $service)"


def _datasets(request: ExtractRequest) -> list[Dataset]:
    return [
        Dataset(
            name="availability_monthly",
            description="One row per service and month: agreed time, downtime, availability %, target, met.",
            sql=f"select m.* from marts.kpi_availability_monthly as m where {_MONTHS}",
        ),
        Dataset(
            name="outages",
            description="Every outage record overlapping the period, counted or excluded, with the reason.",
            sql="""
                select o.* from marts.fct_outage as o
                where o.started_at < $end_ts and coalesce(o.ended_at, $end_ts) >= $start_ts
                  and ($service is null or o.service = $service)
            """,
        ),
    ]


KIND = ExtractKind(
    name="availability",
    description="availability per service and month vs commitment, with outages counted and excluded and why",
    requires=("marts.kpi_availability_monthly", "marts.fct_outage"),
    coverage_sql=f"select count(*) from marts.kpi_availability_monthly as m where {_MONTHS}",
    datasets=_datasets,
)
