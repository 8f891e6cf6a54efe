"""Demo change requests: all types and close codes, approvals (some missing or late), planned vs actual windows.

Also links incidents to the changes that caused them (tickets.caused_by_change), by looking for an incident on the
same service shortly after the change started: explicit links are what the change failure rate counts.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from data_quality.contract import CHANGES
from pipelines.demo.reference import Reference
from pipelines.demo.window import DAY, END_S, HOUR, MINUTE, SPAN_S, START_S, lognormal, to_datetime

TYPE_MIX = (("standard", 0.55), ("normal", 0.38), ("emergency", 0.07))
# Close codes of implemented changes per type (cancelled is decided separately, before implementation).
OUTCOME_CODES = ("successful", "successful_with_issues", "unsuccessful", "backed_out")
OUTCOME_MIX = {
    "standard": (0.95, 0.03, 0.01, 0.01),
    "normal": (0.84, 0.07, 0.04, 0.05),
    "emergency": (0.72, 0.12, 0.08, 0.08),
}
CANCEL_SHARE = {"standard": 0.02, "normal": 0.07, "emergency": 0.03}
RISKS = {"standard": ("low",), "normal": ("low", "moderate", "high"), "emergency": ("moderate", "high")}
OVERRUN_SHARE = 0.08  # normal changes whose work runs past the approved window
UNAPPROVED_SHARE = 0.015  # implemented with no approval at all
LATE_APPROVAL_SHARE = 0.015  # started before the approval was given


def generate_changes(rng: np.random.Generator, ref: Reference, n: int) -> pl.DataFrame:
    names = np.array(ref.service_names, dtype=object)
    owners = np.array([s.owner for s in ref.services], dtype=object)
    svc = rng.integers(0, len(names), size=n)
    types = np.array([t for t, _ in TYPE_MIX], dtype=object)
    change_type = types[rng.choice(len(types), size=n, p=[w for _, w in TYPE_MIX])]
    requested = START_S + rng.integers(0, SPAN_S - DAY, size=n)

    is_std, is_norm = (change_type == t for t in ("standard", "normal"))
    approval_lead = np.select(
        [is_std, is_norm],
        [np.full(n, 5 * MINUTE), lognormal(rng, 2 * DAY, 0.7, n)],
        lognormal(rng, HOUR, 0.6, n),
    ).astype(np.int64)
    approved = requested + approval_lead
    # Normal changes go into the 22:00 UTC maintenance slot a few days after approval.
    norm_start = (approved + rng.integers(2 * DAY, 10 * DAY, size=n)) // DAY * DAY + 22 * HOUR
    planned_start = np.select(
        [is_std, is_norm], [approved + rng.integers(HOUR, 3 * DAY, size=n), norm_start], approved + 30 * MINUTE
    )
    planned_len = np.select([is_std, is_norm], [np.full(n, HOUR), rng.integers(2, 5, size=n) * HOUR], 2 * HOUR)
    planned_end = planned_start + planned_len

    actual_start = planned_start + rng.integers(-5 * MINUTE, 15 * MINUTE, size=n)
    actual_len = np.maximum(lognormal(rng, 0.85 * planned_len, 0.25, n), 10 * MINUTE).astype(np.int64)
    actual_end = actual_start + np.minimum(actual_len, planned_end - actual_start - MINUTE)
    overrun = is_norm & (rng.random(n) < OVERRUN_SHARE)
    actual_end = np.where(overrun, planned_end + rng.integers(20 * MINUTE, 90 * MINUTE, size=n), actual_end)

    cancelled = rng.random(n) < np.vectorize(CANCEL_SHARE.get)(change_type)
    outcome = np.empty(n, dtype=object)
    risk = np.empty(n, dtype=object)
    for kind, mix in OUTCOME_MIX.items():
        rows = np.flatnonzero(change_type == kind)
        outcome[rows] = np.array(OUTCOME_CODES, dtype=object)[rng.choice(len(OUTCOME_CODES), size=len(rows), p=mix)]
        options = np.array(RISKS[kind], dtype=object)
        risk[rows] = options[rng.integers(0, len(options), size=len(rows))]

    not_started = cancelled | (actual_start >= END_S)
    in_flight = ~not_started & (actual_end >= END_S)
    implemented = ~not_started & ~in_flight
    # However small the demo, every close code and both approval breaches appear at least twice.
    eligible = np.flatnonzero(implemented & ~is_std)
    forced = rng.choice(eligible, size=min(len(eligible), 2 * len(OUTCOME_CODES) + 4), replace=False)
    outcome[forced[: 2 * len(OUTCOME_CODES)]] = np.repeat(np.array(OUTCOME_CODES, dtype=object), 2)[: len(forced)]
    unapproved = ~is_std & ~not_started & (rng.random(n) < UNAPPROVED_SHARE)
    unapproved[forced[2 * len(OUTCOME_CODES) : 2 * len(OUTCOME_CODES) + 2]] = True
    late = ~is_std & ~not_started & ~unapproved & (rng.random(n) < LATE_APPROVAL_SHARE)
    late[forced[2 * len(OUTCOME_CODES) + 2 :]] = True
    approved = np.where(late, actual_start + rng.integers(HOUR, 2 * DAY, size=n), approved)
    approved = np.where(cancelled & is_norm & (rng.random(n) < 0.5), -1, approved)  # rejected at CAB
    approved_at = np.where(unapproved | (approved < 0) | (approved >= END_S), -1, approved)

    state = np.select(
        [cancelled, actual_start >= END_S, in_flight], ["cancelled", "scheduled", "implement"], "closed"
    ).astype(object)
    close_code = np.where(cancelled, "cancelled", np.where(implemented, outcome, None))

    frame = pl.DataFrame(
        {
            "requested_s": requested,
            "change_type": (change_type).tolist(),
            "risk": (risk).tolist(),
            "service": (names[svc]).tolist(),
            "ci": (names[svc] + "-app-01").tolist(),
            "approved_s": approved_at,
            "planned_start_s": planned_start,
            "planned_end_s": planned_end,
            "actual_start_s": np.where(not_started, -1, actual_start),
            "actual_end_s": np.where(implemented, actual_end, -1),
            "state": (state).tolist(),
            "close_code": (close_code).tolist(),
            "assignment_group": (owners[svc]).tolist(),
            "unapproved": unapproved,
            "late_approval": late,
            "overrun": overrun & implemented,
        },
        schema_overrides={c: pl.String for c in ("change_type", "risk", "service", "ci", "state", "close_code")}
        | {"assignment_group": pl.String},
    ).with_columns(
        pl.when(pl.col(c) >= 0).then(pl.col(c)).alias(c) for c in ("approved_s", "actual_start_s", "actual_end_s")
    )
    return (
        frame.sort("requested_s")
        .with_columns(change_id=pl.lit("CHG") + (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(7))
        .with_columns(
            requested_at=to_datetime(pl.col("requested_s")),
            approved_at=to_datetime(pl.col("approved_s")),
            planned_start=to_datetime(pl.col("planned_start_s")),
            planned_end=to_datetime(pl.col("planned_end_s")),
            actual_start=to_datetime(pl.col("actual_start_s")),
            actual_end=to_datetime(pl.col("actual_end_s")),
        )
    )


def contract_changes(changes: pl.DataFrame) -> pl.DataFrame:
    return changes.select(CHANGES.column_names)


def link_caused_incidents(rng: np.random.Generator, changes: pl.DataFrame, tickets: pl.DataFrame) -> pl.DataFrame:
    """Set tickets.caused_by_change for incidents opened on the changed service within 48 h after a change started.

    Failed changes cause incidents far more often than successful ones.
    """
    done = changes.filter(pl.col("actual_end_s").is_not_null())
    failing = done["close_code"].is_in(["unsuccessful", "backed_out", "successful_with_issues"]).to_numpy()
    causes = rng.random(done.height) < np.where(failing, 0.6, 0.03)
    incidents = tickets.with_row_index("row").filter(pl.col("ticket_type") == "incident")
    caused_by = np.full(tickets.height, None, dtype=object)
    by_service = {
        name: (rows["opened_s"].to_numpy(), rows["row"].to_numpy())
        for (name,), rows in incidents.sort("opened_s").group_by("service", maintain_order=True)
    }
    how_many = rng.integers(1, 4, size=done.height)
    services = done["service"].to_list()
    starts = done["actual_start_s"].to_numpy()
    change_ids = done["change_id"].to_list()
    for i in np.flatnonzero(causes).tolist():
        opened, rows = by_service.get(services[i], (np.array([]), np.array([])))
        start = starts[i]
        first = np.searchsorted(opened, start, side="right")
        last = np.searchsorted(opened, start + 48 * 3600, side="right")
        for row in rows[first : min(last, first + how_many[i])]:
            if caused_by[row] is None:
                caused_by[row] = change_ids[i]
    return tickets.with_columns(caused_by_change=pl.Series(caused_by.tolist(), dtype=pl.String))
