"""Continual service improvement: which KPIs got worse and why, and did our initiatives help.

Pure functions over small frames (produced by `queries.py`), so the rules are tested on hand-built cases:

- A KPI "moved the wrong way" when its overall value changed from the previous calendar month to the latest month in
  the direction that is worse (kpi_targets.direction) by more than its threshold. The threshold is the KPI's
  `amber_margin` from reference data, so a move that would take a KPI from "on target" past the amber band counts.
  The rule is `status.movement`, the same that words the overview tiles' "(worse)".
- Impact = the wrong-way move in multiples of that threshold (unit-free, so % and hours rank together).
- Main driver = the service, assignment group or category whose own change, weighted by its share of the KPI's
  volume in the latest month, contributes most in the wrong direction (the "within" part of a shift-share
  decomposition; members present in only one of the two months carry no within-effect and are not named).
- Improvement register: volume-weighted mean of the KPI's monthly values for the initiative's service over the
  `window_months` before the start month vs the start month and the months after it (up to `window_months`).
"""

from __future__ import annotations

import pandas as pd

from dashboards.status import movement

WRONG_WAY_COLUMNS = ["kpi", "label", "previous", "latest", "delta", "unit", "impact", "driver", "driver_delta"]
BEFORE_AFTER_COLUMNS = [
    "initiative_id",
    "initiative",
    "service",
    "kpi",
    "unit",
    "start_date",
    "before",
    "after",
    "target",
    "improved",
]


def _worse_sign(direction: str) -> int:
    """+1 when an increase is worse (lower_is_better), -1 when a decrease is worse."""
    return 1 if direction == "lower_is_better" else -1


def wrong_way_moves(overall: pd.DataFrame, breakdown: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """KPIs whose latest month is worse than the previous month by more than their threshold, most impact first.

    overall: `kpi`, `month`, `value` (one row per KPI and month for the current selection).
    breakdown: `dimension` (service / assignment_group / category), `member`, `kpi`, `month`, `value`, `weight`
    (volume behind the value: tickets, changes, hours, responses).
    targets: `kpi`, `direction`, `amber_margin`, `unit`, `description`.
    Returns WRONG_WAY_COLUMNS; `driver` reads like "service vpn" or "assignment group Service Desk".
    """
    if len(overall) == 0 or len(targets) == 0:
        return pd.DataFrame(columns=WRONG_WAY_COLUMNS)
    rows = []
    series_all = overall.assign(month=pd.to_datetime(overall["month"])).dropna(subset=["value"])
    parts = breakdown.assign(month=pd.to_datetime(breakdown["month"])) if len(breakdown) else breakdown
    for ref in targets.itertuples():
        series = series_all[series_all["kpi"] == ref.kpi].sort_values("month")
        if len(series) < 2:
            continue
        latest_month = series["month"].iloc[-1]
        prior_month = latest_month - pd.DateOffset(months=1)
        prior = series[series["month"] == prior_month]
        if len(prior) == 0:
            continue
        latest, previous = float(series["value"].iloc[-1]), float(prior["value"].iloc[0])
        sign = _worse_sign(ref.direction)
        worse_by = sign * (latest - previous)
        threshold = float(ref.amber_margin) if pd.notna(ref.amber_margin) else 0.0
        if movement(latest - previous, ref.direction, threshold) != "worse":
            continue
        driver, driver_delta = _main_driver(parts, ref.kpi, latest_month, prior_month, sign)
        rows.append(
            {
                "kpi": ref.kpi,
                "label": ref.description if isinstance(ref.description, str) and ref.description else ref.kpi,
                "previous": previous,
                "latest": latest,
                "delta": latest - previous,
                "unit": ref.unit,
                # No margin in reference data: any wrong-way move counts, drawn at the threshold line.
                "impact": worse_by / threshold if threshold > 0 else 1.0,
                "driver": driver,
                "driver_delta": driver_delta,
            }
        )
    result = pd.DataFrame(rows, columns=WRONG_WAY_COLUMNS)
    return result.sort_values("impact", ascending=False, ignore_index=True)


def _main_driver(
    breakdown: pd.DataFrame, kpi: str, latest_month: pd.Timestamp, prior_month: pd.Timestamp, sign: int
) -> tuple[str | None, float | None]:
    """The member (of any dimension) whose share-weighted own change is the largest move in the wrong direction."""
    if len(breakdown) == 0:
        return None, None
    rows = breakdown[(breakdown["kpi"] == kpi) & breakdown["value"].notna()]
    best: tuple[float, str, float] | None = None
    # Services first, then groups, then categories: on a tie (the same tickets) the service is named.
    order = {"service": 0, "assignment_group": 1, "category": 2}
    for dimension in sorted(rows["dimension"].unique(), key=lambda d: (order.get(d, 9), d)):
        part = rows[rows["dimension"] == dimension]
        now = part[part["month"] == latest_month].set_index("member")
        before = part[part["month"] == prior_month].set_index("member")
        both = now.index.intersection(before.index)
        if len(both) == 0 or now["weight"].sum() <= 0:
            continue
        share = now["weight"] / now["weight"].sum()
        contribution = share.loc[both] * (now.loc[both, "value"] - before.loc[both, "value"])
        member = (sign * contribution).idxmax()
        worse = float(sign * contribution.loc[member])
        if worse > 0 and (best is None or worse > best[0]):
            best = (worse, f"{str(dimension).replace('_', ' ')} {member}", float(contribution.loc[member]))
    if best is None:
        return None, None  # every member improved or held: the overall move is a mix effect
    return best[1], best[2]


def before_after(
    by_service: pd.DataFrame, register: pd.DataFrame, targets: pd.DataFrame, window_months: int = 3
) -> pd.DataFrame:
    """Each initiative's KPI for its service before vs after its start month.

    by_service: `kpi`, `service`, `month`, `value`, `weight`.
    register: `initiative_id`, `initiative`, `service`, `kpi`, `start_date` (improvement_register seed).
    targets: `kpi`, `target`, `direction`, `unit` (service '*' rows; a service-specific row wins when present,
    columns `service` optional).
    Returns BEFORE_AFTER_COLUMNS; `before`/`after` are null when the window has no data.
    """
    if len(register) == 0:
        return pd.DataFrame(columns=BEFORE_AFTER_COLUMNS)
    series = by_service.assign(month=pd.to_datetime(by_service["month"])) if len(by_service) else by_service
    rows = []
    for item in register.itertuples():
        start = pd.Timestamp(item.start_date).to_period("M").to_timestamp()
        ref = _target_for(targets, item.kpi, item.service)
        values = (
            series[(series["kpi"] == item.kpi) & (series["service"] == item.service) & series["value"].notna()]
            if len(series)
            else series
        )
        before_rows = (
            values[(values["month"] < start) & (values["month"] >= start - pd.DateOffset(months=window_months))]
            if len(values)
            else values
        )
        after_rows = (
            values[(values["month"] >= start) & (values["month"] < start + pd.DateOffset(months=window_months))]
            if len(values)
            else values
        )
        before, after = _weighted_mean(before_rows), _weighted_mean(after_rows)
        improved = None
        if before is not None and after is not None and ref is not None:
            improved = (after - before) * -_worse_sign(ref["direction"]) > 0
        rows.append(
            {
                "initiative_id": item.initiative_id,
                "initiative": item.initiative,
                "service": item.service,
                "kpi": item.kpi,
                "unit": ref["unit"] if ref is not None else "",
                "start_date": pd.Timestamp(item.start_date).date(),
                "before": before,
                "after": after,
                "target": ref["target"] if ref is not None else None,
                "improved": improved,
            }
        )
    return pd.DataFrame(rows, columns=BEFORE_AFTER_COLUMNS)


def _weighted_mean(rows: pd.DataFrame) -> float | None:
    """Volume-weighted mean of monthly values (a month with 10x the tickets counts 10x); plain mean without weights."""
    if len(rows) == 0:
        return None
    weights = rows["weight"].fillna(0) if "weight" in rows else pd.Series(1.0, index=rows.index)
    if float(weights.sum()) <= 0:
        return float(rows["value"].mean())
    return float((rows["value"] * weights).sum() / weights.sum())


def _target_for(targets: pd.DataFrame, kpi: str, service: str) -> dict | None:
    rows = targets[targets["kpi"] == kpi]
    if "service" in rows:
        specific = rows[rows["service"] == service]
        rows = specific if len(specific) else rows[rows["service"] == "*"]
    return rows.iloc[0].to_dict() if len(rows) else None
