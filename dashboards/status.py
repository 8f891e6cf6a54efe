"""Green / amber / red status of a KPI against its reference-data target, and the overview tiles built from it.

Targets, directions and amber margins come from `dbt_project/seeds/kpi_targets.csv` (read by `queries.kpi_targets`);
nothing here hard-codes a target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

# KPIs shown as overview tiles, in display order, with the label a service manager reads.
TILE_KPIS: dict[str, str] = {
    "sla_resolution_attainment_pct": "Resolution SLA attainment",
    "mttr_business_hours_median": "MTTR (median, business h)",
    "availability_pct": "Availability",
    "change_success_pct": "Change success",
    "csat_mean": "CSAT",
}

STATUS_LABELS = {"green": "on target", "amber": "near target", "red": "off target", "grey": "no data"}


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


def rag_status(value: float | None, target: float | None, direction: str, amber_margin: float | None) -> str:
    """'green' when the target is met, 'amber' within `amber_margin` of it, 'red' beyond; 'grey' without data.

    `direction` is `higher_is_better` or `lower_is_better` (kpi_targets.direction).
    """
    if _missing(value) or _missing(target):
        return "grey"
    margin = 0.0 if _missing(amber_margin) else float(amber_margin)
    if direction == "lower_is_better":
        gap = float(value) - float(target)  # positive = worse than target
    elif direction == "higher_is_better":
        gap = float(target) - float(value)
    else:
        raise ValueError(f"unknown KPI direction {direction!r}")
    if gap <= 0:
        return "green"
    return "amber" if gap <= margin else "red"


def movement(delta: float | None, direction: str, threshold: float | None) -> str:
    """'better' / 'worse' when a month-over-month change exceeds the KPI's threshold (its amber_margin) in that
    direction, else 'steady' (a move inside the margin is noise, not news).

    The one rule behind the tiles' "(worse)" and the continual-improvement list of KPIs that moved the wrong way
    (`improvement.wrong_way_moves`), so the two always agree. No positive threshold: any move counts.
    """
    if _missing(delta):
        return "steady"
    margin = 0.0 if _missing(threshold) else max(float(threshold), 0.0)
    if abs(float(delta)) <= margin or delta == 0:
        return "steady"
    improving = delta > 0 if direction == "higher_is_better" else delta < 0
    return "better" if improving else "worse"


@dataclass(frozen=True)
class Tile:
    kpi: str
    label: str
    unit: str
    month: date | None
    value: float | None
    previous: float | None
    target: float | None
    direction: str
    status: str
    threshold: float | None = None  # kpi_targets.amber_margin: smaller moves are "steady"

    @property
    def delta(self) -> float | None:
        if _missing(self.value) or _missing(self.previous):
            return None
        return float(self.value) - float(self.previous)

    @property
    def trend(self) -> str:
        return movement(self.delta, self.direction, self.threshold)


def format_value(value: float | None, unit: str) -> str:
    """How a tile prints a value: percentages with 2 decimals, scores with 2, hours with 1."""
    if _missing(value):
        return "n/a"
    if unit == "%":
        return f"{value:.2f}%"
    if "hour" in unit:
        return f"{value:.1f} h"
    return f"{value:.2f}"


def build_tiles(monthly: pd.DataFrame, targets: pd.DataFrame) -> list[Tile]:
    """One tile per KPI in TILE_KPIS: latest month with data vs target and vs the month before.

    `monthly` columns: `kpi`, `month`, `value` (overall value of the KPI for the month, the current selection).
    `targets` columns: `kpi`, `target`, `direction`, `amber_margin`, `unit` (rows for service '*').
    """
    tiles: list[Tile] = []
    target_rows = {r.kpi: r for r in targets.itertuples()} if len(targets) else {}
    for kpi, label in TILE_KPIS.items():
        ref = target_rows.get(kpi)
        direction = ref.direction if ref is not None else "higher_is_better"
        unit = ref.unit if ref is not None else ""
        target = float(ref.target) if ref is not None else None
        threshold = float(ref.amber_margin) if ref is not None and not _missing(ref.amber_margin) else None
        series = (
            monthly[(monthly["kpi"] == kpi) & monthly["value"].notna()].sort_values("month")
            if len(monthly)
            else monthly
        )
        if len(series) == 0:
            tiles.append(Tile(kpi, label, unit, None, None, None, target, direction, "grey", threshold))
            continue
        latest = series.iloc[-1]
        # The calendar month before, not merely the previous row: a gap month means "no comparison".
        prior_month = pd.Timestamp(latest["month"]) - pd.DateOffset(months=1)
        prior = series[pd.to_datetime(series["month"]) == prior_month]
        previous = float(prior.iloc[0]["value"]) if len(prior) else None
        status = rag_status(latest["value"], target, direction, ref.amber_margin if ref is not None else None)
        month = pd.Timestamp(latest["month"]).date()
        tiles.append(
            Tile(kpi, label, unit, month, float(latest["value"]), previous, target, direction, status, threshold)
        )
    return tiles
