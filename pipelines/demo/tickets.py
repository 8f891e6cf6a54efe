"""Demo tickets and their state-change events, generated as whole columns (no per-ticket Python loop).

Each ticket gets a fixed lifecycle skeleton (respond, priority change, reassignments, one pause, resolve, reopens,
close or cancel) whose times are strictly increasing; optional steps are masked out per ticket. Events after the
export instant (end of the window) are dropped, and the ticket row (state, first response, resolved / closed time,
reopen and reassignment counts, current priority and group) is *derived from the remaining events*, so the two
tables agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from data_quality.contract import TICKETS
from pipelines.demo.people import MEMBERS_PER_GROUP, escalation_chain, group_members, person_names, support_groups
from pipelines.demo.reference import Reference
from pipelines.demo.window import (
    DAY,
    END_S,
    FIRST_DAY,
    HOUR,
    LAST_DAY,
    MINUTE,
    SPAN_S,
    START_S,
    local_to_utc,
    lognormal,
    to_datetime,
)

TYPES = ("incident", "request", "problem")
INC, REQ, PRB = 0, 1, 2

# Demo shape parameters (not reference data: nothing downstream reads them). Rows: incident, request, problem.
PRIORITY_MIX = np.array([[0.04, 0.14, 0.46, 0.36], [0.01, 0.05, 0.44, 0.50], [0.10, 0.40, 0.40, 0.10]])
RESPONSE_MEDIAN_S = np.array([[10, 25, 90, 180], [30, 60, 240, 480], [1440, 1440, 1440, 1440]]) * MINUTE
WORK_MEDIAN_S = np.array([[2.5, 7, 20, 40], [6, 14, 30, 60], [288, 360, 480, 600]]) * HOUR
REASSIGN_MIX = np.array([[0.60, 0.28, 0.09, 0.03], [0.72, 0.22, 0.05, 0.01], [1.0, 0.0, 0.0, 0.0]])
REOPEN_MIX = np.array([[0.93, 0.06, 0.01], [0.97, 0.025, 0.005], [1.0, 0.0, 0.0]])
PAUSE_SHARE = np.array([0.18, 0.28, 0.30])
CANCEL_SHARE = np.array([0.01, 0.045, 0.02])
PRIORITY_CHANGE_SHARE = 0.05
IN_HOURS_SHARE = 0.85  # the rest arrive at any hour: nights, weekends, holidays
STUCK_SHARE_RECENT = 0.11  # of tickets opened in the last 100 days, these are still open at the export
MAX_REASSIGN = 3

CHANNELS = {
    INC: (("phone", 0.25), ("email", 0.25), ("self_service", 0.30), ("chat", 0.10), ("monitoring", 0.10)),
    REQ: (("self_service", 0.60), ("email", 0.20), ("phone", 0.10), ("chat", 0.10)),
    PRB: (("internal", 1.0),),
}
CATEGORIES = {
    INC: ("software", "hardware", "network", "access", "performance", "data"),
    REQ: ("access_request", "new_equipment", "information", "configuration"),
    PRB: ("root_cause_analysis",),
}
SUBCATEGORIES = ("login", "error_message", "slowness", "integration", "configuration", "report")
CI_ROLES = ("app", "db", "web", "api", "batch", "net")
CLOSE_CODES = {
    INC: (("solved_permanently", 0.7), ("solved_workaround", 0.2), ("not_reproducible", 0.1)),
    REQ: (("fulfilled", 1.0),),
    PRB: (("root_cause_fixed", 0.8), ("known_error", 0.2)),
}


@dataclass(frozen=True)
class TicketBatch:
    tickets: pl.DataFrame  # contract columns of `tickets`
    events: pl.DataFrame  # contract columns of `ticket_events`


def _pick(rng: np.random.Generator, rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per-row categorical draw: row i uses probability vector rows[codes[i]]; returns the column index."""
    cumulative = np.cumsum(rows, axis=1)[codes]
    return (rng.random(len(codes))[:, None] > cumulative[:, :-1]).sum(axis=1)


def _weighted(rng: np.random.Generator, options: tuple[tuple[str, float], ...], size: int) -> np.ndarray:
    values = np.array([o[0] for o in options], dtype=object)
    weights = np.array([o[1] for o in options])
    return values[rng.choice(len(values), size=size, p=weights / weights.sum())]


def _opened_at(rng: np.random.Generator, ref: Reference, svc: np.ndarray, in_hours: np.ndarray) -> np.ndarray:
    """Mostly inside the service's support hours (its own time zone), the rest at any time in the window."""
    opened = START_S + rng.integers(0, SPAN_S - 2 * HOUR, size=len(svc))
    calendar_of = np.array([s.support_calendar_id for s in ref.services])
    for calendar_id in sorted(set(calendar_of)):
        rows = np.flatnonzero(in_hours & (calendar_of[svc] == calendar_id))
        if len(rows) == 0:
            continue
        calendar = ref.calendars[calendar_id]
        days, opens, closes = calendar.business_days(FIRST_DAY, LAST_DAY)
        pick = rng.integers(0, len(days), size=len(rows))
        # Busiest mid-morning, tailing off in the afternoon.
        second = opens[pick] + (rng.beta(2.0, 2.6, size=len(rows)) * (closes[pick] - opens[pick])).astype(np.int64)
        opened[rows] = local_to_utc(days[pick] * DAY + second, calendar.timezone)
    return np.clip(opened, START_S, END_S - HOUR)


def generate_tickets(
    rng: np.random.Generator,
    ref: Reference,
    n: int,
    *,
    id_prefix: str,
    id_width: int,
    id_start: int = 1,
    mix: tuple[float, float, float] = (0.6, 0.4, 0.0),
    problems: int = 0,
    allow_cancel: bool = True,
) -> TicketBatch:
    """`n` incidents/requests (split by `mix`) plus `problems` problems, with their events."""
    n_inc = round(n * mix[0] / (mix[0] + mix[1]))
    kind = np.concatenate([np.full(n_inc, INC), np.full(n - n_inc, REQ), np.full(problems, PRB)])
    total = len(kind)
    n_services = len(ref.services)
    tier = np.array([s.tier for s in ref.services])
    service_weight = 1.0 / tier
    svc = rng.choice(n_services, size=total, p=service_weight / service_weight.sum())

    in_hours = (rng.random(total) < IN_HOURS_SHARE) | (kind == PRB)
    opened = _opened_at(rng, ref, svc, in_hours)

    priority = _pick(rng, PRIORITY_MIX, kind) + 1
    pri_change = rng.random(total) < PRIORITY_CHANGE_SHARE
    escalated = rng.random(total) < 0.7
    initial_priority = np.where(
        pri_change, np.where((escalated & (priority < 4)) | (priority == 1), priority + 1, priority - 1), priority
    )

    respond = np.maximum(lognormal(rng, RESPONSE_MEDIAN_S[kind, priority - 1], 0.8, total), 30).astype(np.int64)
    work = np.maximum(lognormal(rng, WORK_MEDIAN_S[kind, priority - 1], 0.9, total), 20 * MINUTE).astype(np.int64)

    reassignments = _pick(rng, REASSIGN_MIX, kind)
    reopens = _pick(rng, REOPEN_MIX, kind)
    paused = rng.random(total) < PAUSE_SHARE[kind]
    pause_state = np.where(
        (kind == PRB) | ((kind == INC) & (rng.random(total) < 0.5)) | ((kind == REQ) & (rng.random(total) < 0.15)),
        "on_hold",
        "awaiting_customer",
    )
    pause_len = paused * np.maximum(lognormal(rng, 20 * HOUR, 1.0, total), 10 * MINUTE).astype(np.int64)
    # Stuck tickets are still open at the export: some wait on the customer or a vendor, the rest are just slow.
    stuck = (opened > END_S - 100 * DAY) & (rng.random(total) < STUCK_SHARE_RECENT) & (kind != PRB)
    stuck_waiting = stuck & (rng.random(total) < 0.35)
    delay = rng.integers(120 * DAY, 300 * DAY, size=total)
    paused = paused | stuck_waiting
    pause_len = np.where(stuck_waiting, delay, pause_len)
    work = work + (stuck & ~stuck_waiting) * delay
    cancelled = allow_cancel & (rng.random(total) < CANCEL_SHARE[kind])
    cancel_at_new = cancelled & (rng.random(total) < 0.5)
    cancel_in_progress = cancelled & ~cancel_at_new
    reopens = np.where(cancelled, 0, reopens)

    # The skeleton: strictly increasing times per ticket.
    t_respond = opened + respond
    t_priority = t_respond + np.maximum(work // 20, 1)
    t_reassign = [
        t_respond + (work * (0.10 + 0.13 * j + 0.10 * rng.random(total))).astype(np.int64) + 2 + j
        for j in range(MAX_REASSIGN)
    ]
    t_pause = t_respond + (work * 0.6).astype(np.int64) + 10
    t_unpause = t_pause + pause_len
    t_resolve = [t_respond + work + pause_len + 20]
    for _ in range(2):
        gap = np.maximum(lognormal(rng, DAY, 0.8, total), 5 * MINUTE).astype(np.int64)
        rework = np.maximum(lognormal(rng, 0.5 * WORK_MEDIAN_S[kind, priority - 1], 0.8, total), 10 * MINUTE)
        t_resolve.append(t_resolve[-1] + gap + rework.astype(np.int64))
    last_resolve = np.choose(reopens, t_resolve)
    t_close = last_resolve + 3 * DAY + rng.integers(0, 2 * HOUR, size=total)

    # Assignment groups: the chain walked by reassignments; tickets never reassigned stay where they started.
    chains = np.array([escalation_chain(s) for s in ref.services], dtype=object)
    start_offset = np.where((reassignments == 0) & (rng.random(total) < 0.3), 1, 0)
    group_at = [chains[svc, start_offset + j] for j in range(MAX_REASSIGN + 1)]

    ticket_index = np.arange(total)
    p_str = priority.astype(str).astype(object)
    p0_str = initial_priority.astype(str).astype(object)
    always = ~cancel_at_new
    slots: list[tuple[np.ndarray, str, object, object, np.ndarray, int]] = [
        (t_respond, "state", "new", "in_progress", always, 0),
        (t_respond, "state", "new", "cancelled", cancel_at_new, 0),
        (t_priority, "priority", p0_str, p_str, always & pri_change, 1),
    ]
    for j in range(MAX_REASSIGN):
        slots.append((t_reassign[j], "assignment_group", group_at[j], group_at[j + 1], always & (reassignments > j), 2))
    slots += [
        (t_pause, "state", "in_progress", pause_state, always & paused, 3),
        (t_unpause, "state", pause_state, "in_progress", always & paused, 3),
        (t_resolve[0], "state", "in_progress", "cancelled", cancel_in_progress, 4),
        (t_resolve[0], "state", "in_progress", "resolved", always & ~cancel_in_progress, 4),
    ]
    for cycle in (1, 2):
        reopened = always & ~cancel_in_progress & (reopens >= cycle)
        t_reopen = t_resolve[cycle - 1] + (t_resolve[cycle] - t_resolve[cycle - 1]) // 3
        slots.append((t_reopen, "state", "resolved", "in_progress", reopened, 4 + cycle))
        slots.append((t_resolve[cycle], "state", "in_progress", "resolved", reopened, 4 + cycle))
    slots.append((t_close, "state", "resolved", "closed", always & ~cancel_in_progress, 9))

    frames = []
    for order, (at, field, from_value, to_value, mask, _stage) in enumerate(slots):
        keep = mask & (at < END_S)
        count = int(keep.sum())
        frames.append(
            pl.DataFrame(
                {
                    "idx": ticket_index[keep],
                    "event_s": at[keep],
                    "slot": np.full(count, order),
                    "field": [field] * count,
                    "from_value": from_value[keep].tolist()
                    if isinstance(from_value, np.ndarray)
                    else [from_value] * count,
                    "to_value": to_value[keep].tolist() if isinstance(to_value, np.ndarray) else [to_value] * count,
                },
                schema={
                    "idx": pl.Int64,
                    "event_s": pl.Int64,
                    "slot": pl.Int64,
                    "field": pl.String,
                    "from_value": pl.String,
                    "to_value": pl.String,
                },
            )
        )
    events = pl.concat(frames).sort("idx", "event_s", "slot")

    base = pl.DataFrame(
        {
            "idx": ticket_index,
            "kind": kind,
            "svc": svc,
            "opened_s": opened,
            "initial_priority": initial_priority,
            "initial_group": group_at[0].tolist(),
        },
        schema_overrides={"initial_group": pl.String},
    )
    derived = _derive_from_events(events)
    tickets = base.join(derived, on="idx", how="left").sort("idx")
    return _finish(rng, ref, tickets, events, id_prefix=id_prefix, id_width=id_width, id_start=id_start)


def _derive_from_events(events: pl.DataFrame) -> pl.DataFrame:
    """Per ticket: everything the ticket row says that the events also say."""
    state = pl.col("field") == "state"
    return events.group_by("idx").agg(
        pl.col("to_value").filter(state).last().alias("state"),
        pl.col("event_s")
        .filter(state & (pl.col("from_value") == "new") & (pl.col("to_value") == "in_progress"))
        .min()
        .alias("first_response_s"),
        pl.col("event_s").filter(state & (pl.col("to_value") == "resolved")).max().alias("last_resolved_s"),
        pl.col("event_s").filter(state & pl.col("to_value").is_in(["closed", "cancelled"])).max().alias("closed_s"),
        (state & (pl.col("from_value") == "resolved") & (pl.col("to_value") == "in_progress"))
        .sum()
        .alias("reopen_count"),
        (pl.col("field") == "assignment_group").sum().alias("reassignment_count"),
        pl.col("to_value").filter(pl.col("field") == "priority").last().alias("changed_priority"),
        pl.col("to_value").filter(pl.col("field") == "assignment_group").last().alias("changed_group"),
        pl.col("event_s").filter(pl.col("field") == "assignment_group").max().alias("last_reassigned_s"),
    )


def _finish(
    rng: np.random.Generator,
    ref: Reference,
    tickets: pl.DataFrame,
    events: pl.DataFrame,
    *,
    id_prefix: str,
    id_width: int,
    id_start: int,
) -> TicketBatch:
    total = tickets.height
    kind = tickets["kind"].to_numpy()
    svc = tickets["svc"].to_numpy()
    names = np.array(ref.service_names, dtype=object)

    channel = np.empty(total, dtype=object)
    category = np.empty(total, dtype=object)
    close_code = np.empty(total, dtype=object)
    for k in (INC, REQ, PRB):
        rows = np.flatnonzero(kind == k)
        channel[rows] = _weighted(rng, CHANNELS[k], len(rows))
        options = np.array(CATEGORIES[k], dtype=object)
        category[rows] = options[rng.integers(0, len(options), size=len(rows))]
        close_code[rows] = _weighted(rng, CLOSE_CODES[k], len(rows))
    subcategory = np.array(SUBCATEGORIES, dtype=object)[rng.integers(0, len(SUBCATEGORIES), size=total)]
    ci = names[svc] + "-" + np.array(CI_ROLES, dtype=object)[rng.integers(0, 3, size=total)] + "-0"
    ci = ci + rng.integers(1, 3, size=total).astype(str).astype(object)
    callers = person_names(rng, 600)
    caller = callers[rng.integers(0, len(callers), size=total)]
    member_slot = rng.integers(0, MEMBERS_PER_GROUP, size=total)
    members = group_members(np.random.default_rng(7), support_groups(ref.services))

    state_s = pl.col("state").fill_null("new")
    done = state_s.is_in(["resolved", "closed"])
    tickets = (
        tickets.with_columns(
            ticket_type=pl.Series(np.array(TYPES, dtype=object)[kind].tolist(), dtype=pl.String),
            service=pl.Series(names[svc].tolist(), dtype=pl.String),
            channel=pl.Series(channel.tolist(), dtype=pl.String),
            category=pl.Series(category.tolist(), dtype=pl.String),
            subcategory=pl.Series(subcategory.tolist(), dtype=pl.String),
            ci=pl.Series(ci.tolist(), dtype=pl.String),
            caller=pl.Series(caller.tolist(), dtype=pl.String),
            member_slot=pl.Series(member_slot),
            code=pl.Series(close_code.tolist(), dtype=pl.String),
            state=state_s,
            priority=pl.col("changed_priority").cast(pl.Int64).fill_null(pl.col("initial_priority")),
            assignment_group=pl.col("changed_group").fill_null(pl.col("initial_group")),
            reopen_count=pl.col("reopen_count").fill_null(0).cast(pl.Int64),
            reassignment_count=pl.col("reassignment_count").fill_null(0).cast(pl.Int64),
            resolved_s=pl.when(done).then(pl.col("last_resolved_s")),
            closed_s=pl.when(state_s.is_in(["closed", "cancelled"])).then(pl.col("closed_s")),
        )
        .join(members, on=["assignment_group", "member_slot"], how="left")
        .with_columns(
            # Nobody is assigned before the first response; a ticket cancelled while new never had an agent.
            assignee=pl.when(pl.col("first_response_s").is_not_null()).then(pl.col("assignee")),
            close_code=pl.when(state_s == "cancelled").then(pl.lit("cancelled")).when(done).then(pl.col("code")),
            # Impact and urgency consistent with the ServiceNow priority matrix (priority = impact + urgency - 1).
            impact=pl.min_horizontal(pl.col("priority"), 3),
            urgency=pl.max_horizontal(pl.col("priority") - pl.min_horizontal(pl.col("priority"), 3) + 1, 1),
        )
        .sort("opened_s", "idx")
        .with_columns(
            ticket_id=pl.lit(id_prefix) + (pl.int_range(pl.len()) + id_start).cast(pl.String).str.zfill(id_width)
        )
    )
    tickets = _link_problems(rng, tickets)

    # The agent is named when the final group picks the ticket up (first response, or a minute after the last
    # reassignment).
    assigned = tickets.filter(pl.col("assignee").is_not_null()).select(
        "idx",
        event_s=pl.coalesce(pl.col("last_reassigned_s") + 60, pl.col("first_response_s")),
        slot=pl.lit(99, dtype=pl.Int64),
        field=pl.lit("assignee"),
        from_value=pl.lit(None, dtype=pl.String),
        to_value=pl.col("assignee"),
    )
    events = pl.concat([events, assigned.filter(pl.col("event_s") < END_S)])
    id_map = tickets.select("idx", "ticket_id", "assignee", "caller")
    events = (
        events.join(id_map, on="idx", how="left")
        .with_columns(
            event_at=to_datetime(pl.col("event_s")),
            actor=pl.when((pl.col("field") == "state") & (pl.col("to_value") == "closed"))
            .then(pl.lit("system"))
            .when(pl.col("assignee").is_null())
            .then(pl.col("caller"))
            .otherwise(pl.col("assignee")),
        )
        .sort("ticket_id", "event_s", "slot")
    )
    tickets = tickets.with_columns(
        opened_at=to_datetime(pl.col("opened_s")),
        first_response_at=to_datetime(pl.col("first_response_s")),
        resolved_at=to_datetime(pl.col("resolved_s")),
        closed_at=to_datetime(pl.col("closed_s")),
        caused_by_change=pl.lit(None, dtype=pl.String),
        source_made_sla=pl.lit(None, dtype=pl.Boolean),
    )
    return TicketBatch(tickets=tickets, events=events)


def _link_problems(rng: np.random.Generator, tickets: pl.DataFrame) -> pl.DataFrame:
    """About 6% of incidents point at a problem of the same service (when that service has one)."""
    problems = tickets.filter(pl.col("ticket_type") == "problem").select("service", "ticket_id")
    problem_id = np.full(tickets.height, None, dtype=object)
    service = tickets["service"].to_numpy()
    linked = (tickets["ticket_type"].to_numpy() == "incident") & (rng.random(tickets.height) < 0.06)
    for (name,), rows in problems.group_by("service", maintain_order=True):
        candidates = rows["ticket_id"].to_numpy()
        hit = np.flatnonzero(linked & (service == name))
        problem_id[hit] = candidates[rng.integers(0, len(candidates), size=len(hit))]
    return tickets.with_columns(problem_id=pl.Series(problem_id.tolist(), dtype=pl.String))


def contract_tickets(batch: TicketBatch) -> pl.DataFrame:
    return batch.tickets.select(TICKETS.column_names)
