"""Demo outages: unplanned (some overlapping on one service, some raised from an incident, some caused by a change),
planned maintenance windows tied to changes (some overrunning the approved window, some with an unplanned outage
inside them), and degradations with a partial impact.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from data_quality.contract import OUTAGES
from pipelines.demo.reference import Reference
from pipelines.demo.window import DAY, END_S, HOUR, MINUTE, SPAN_S, START_S, lognormal, to_datetime

# Outages per service and year by tier (tier 1 services are watched more closely, so more are recorded).
FROM_INCIDENT = {1: 6, 2: 4, 3: 3}
STANDALONE = {1: 4, 2: 3, 3: 2}
DEGRADATIONS = {1: 5, 2: 4, 3: 3}
PLANNED_SHARE = 0.5  # implemented normal changes that take the service down (all overrunning ones do)
INSIDE_WINDOW_SHARE = 0.2
OVERLAP_SHARE = 0.25
IMPACT_LEVELS = np.array([10.0, 20.0, 25.0, 30.0, 50.0, 60.0])

COLUMNS = ("service", "ci", "started_s", "ended_s", "outage_type", "impact_pct", "change_id", "ticket_id", "case")


def _frame(**columns: object) -> pl.DataFrame:
    size = len(next(v for v in columns.values() if isinstance(v, np.ndarray | list)))
    data = {c: columns.get(c, [None] * size) for c in COLUMNS}
    for name, value in data.items():
        if not isinstance(value, np.ndarray | list):
            data[name] = [value] * size
    return pl.DataFrame(
        data,
        schema={
            "service": pl.String,
            "ci": pl.String,
            "started_s": pl.Int64,
            "ended_s": pl.Int64,
            "outage_type": pl.String,
            "impact_pct": pl.Float64,
            "change_id": pl.String,
            "ticket_id": pl.String,
            "case": pl.String,
        },
    )


def generate_outages(
    rng: np.random.Generator, ref: Reference, changes: pl.DataFrame, tickets: pl.DataFrame
) -> pl.DataFrame:
    """Outage rows with a `case` column naming why each exists (dropped from the written file)."""
    parts = []

    implemented_normal = changes.filter((pl.col("change_type") == "normal") & pl.col("actual_end_s").is_not_null())
    take = implemented_normal["overrun"].to_numpy() | (rng.random(implemented_normal.height) < PLANNED_SHARE)
    planned = implemented_normal.filter(pl.Series(take))
    parts.append(
        _frame(
            service=planned["service"].to_list(),
            ci=planned["ci"].to_list(),
            started_s=planned["actual_start_s"].to_numpy(),
            ended_s=planned["actual_end_s"].to_numpy(),
            outage_type="planned",
            impact_pct=100.0,
            change_id=planned["change_id"].to_list(),
            case=np.where(planned["overrun"].to_numpy(), "planned_overrun", "planned").tolist(),
        )
    )

    # Something else breaks while the service is down for maintenance: inside the approved window.
    pick = rng.random(planned.height) < INSIDE_WINDOW_SHARE
    pick[:2] = True  # at least two, however small the demo
    inside = planned.filter(pl.Series(pick))
    window_end = np.minimum(inside["actual_end_s"].to_numpy(), inside["planned_end_s"].to_numpy())
    start = inside["actual_start_s"].to_numpy() + 10 * MINUTE
    blame = rng.random(inside.height) < 0.5
    parts.append(
        _frame(
            service=inside["service"].to_list(),
            ci=(inside["service"] + "-db-01").to_list(),
            started_s=start,
            ended_s=start + np.maximum((window_end - start) // 2, MINUTE),
            outage_type="unplanned",
            impact_pct=100.0,
            change_id=np.where(blame, inside["change_id"].to_numpy(), None).tolist(),
            case="unplanned_inside_maintenance",
        )
    )

    # Failed changes with no maintenance window that took the service down afterwards.
    failed = changes.filter(
        pl.col("close_code").is_in(["unsuccessful", "backed_out"]) & ~pl.col("change_id").is_in(planned["change_id"])
    )
    failed = failed.filter(pl.Series(rng.random(failed.height) < 0.3))
    start = failed["actual_end_s"].to_numpy() + rng.integers(0, 2 * HOUR, size=failed.height)
    parts.append(
        _frame(
            service=failed["service"].to_list(),
            ci=failed["ci"].to_list(),
            started_s=start,
            ended_s=start + np.maximum(lognormal(rng, 40 * MINUTE, 0.6, failed.height), 5 * MINUTE).astype(np.int64),
            outage_type="unplanned",
            impact_pct=100.0,
            change_id=failed["change_id"].to_list(),
            case="caused_by_change",
        )
    )

    urgent = tickets.filter((pl.col("ticket_type") == "incident") & (pl.col("priority") <= 2))
    for service in ref.services:
        candidates = urgent.filter(pl.col("service") == service.name)
        count = min(FROM_INCIDENT.get(service.tier, 3), candidates.height)
        chosen = candidates[np.sort(rng.choice(candidates.height, size=count, replace=False))]
        start = chosen["opened_s"].to_numpy() - rng.integers(5 * MINUTE, 30 * MINUTE, size=count)
        parts.append(
            _frame(
                service=service.name,
                ci=[f"{service.name}-app-01"] * count,
                started_s=start,
                ended_s=start + np.maximum(lognormal(rng, 50 * MINUTE, 0.8, count), 5 * MINUTE).astype(np.int64),
                outage_type="unplanned",
                impact_pct=100.0,
                ticket_id=chosen["ticket_id"].to_list(),
                case="from_incident",
            )
        )
        count = STANDALONE.get(service.tier, 2)
        start = START_S + rng.integers(0, SPAN_S - DAY, size=count)
        parts.append(
            _frame(
                service=service.name,
                ci=[f"{service.name}-web-01"] * count,
                started_s=start,
                ended_s=start + np.maximum(lognormal(rng, 35 * MINUTE, 0.9, count), 3 * MINUTE).astype(np.int64),
                outage_type="unplanned",
                impact_pct=100.0,
                case="standalone",
            )
        )
        count = DEGRADATIONS.get(service.tier, 3)
        start = START_S + rng.integers(0, SPAN_S - DAY, size=count)
        parts.append(
            _frame(
                service=service.name,
                ci=[f"{service.name}-api-01"] * count,
                started_s=start,
                ended_s=start + rng.integers(1 * HOUR, 6 * HOUR, size=count),
                outage_type="degradation",
                impact_pct=IMPACT_LEVELS[rng.integers(0, len(IMPACT_LEVELS), size=count)],
                case="degradation",
            )
        )

    unplanned = pl.concat(parts).filter(pl.col("case").is_in(["from_incident", "standalone"]))
    # A second failure on the same service before the first is fixed: overlaps must be merged, not summed.
    first_per_service = unplanned.with_row_index("i").filter(pl.col("i") == pl.col("i").min().over("service"))
    extra = unplanned.filter(pl.Series(rng.random(unplanned.height) < OVERLAP_SHARE))
    overlapped = pl.concat([first_per_service.drop("i"), extra]).unique(maintain_order=True)
    length = (overlapped["ended_s"] - overlapped["started_s"]).to_numpy()
    start = overlapped["started_s"].to_numpy() + (length * 0.4).astype(np.int64)
    parts.append(
        _frame(
            service=overlapped["service"].to_list(),
            ci=(overlapped["service"] + "-db-01").to_list(),
            started_s=start,
            ended_s=overlapped["ended_s"].to_numpy() + rng.integers(10 * MINUTE, 60 * MINUTE, size=overlapped.height),
            outage_type="unplanned",
            impact_pct=100.0,
            case="overlapping",
        )
    )

    outages = (
        pl.concat(parts)
        .filter(pl.col("started_s") < END_S - MINUTE)
        .with_columns(
            started_s=pl.col("started_s").clip(START_S, None),
            ended_s=pl.col("ended_s").clip(None, END_S - 1),
        )
        .sort("started_s", "service", "case", "ci")
        .with_columns(outage_id=pl.lit("OUT-") + (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(6))
    )
    return outages.with_columns(started_at=to_datetime(pl.col("started_s")), ended_at=to_datetime(pl.col("ended_s")))


def contract_outages(outages: pl.DataFrame) -> pl.DataFrame:
    return outages.select(OUTAGES.column_names)
