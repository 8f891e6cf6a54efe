"""`itsm explain TICKET_ID`: why a ticket's SLA clocks read what they read, interval by interval.

Reads the dbt marts (fct_ticket_sla, fct_sla_explain) and cuts each clock piece at the calendar's opening and
closing times (int_calendar_business_segments), so an auditor sees every stretch that was counted, paused or
outside hours, with the running clock and the instant the target was passed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb

from pipelines.settings import Settings
from pipelines.warehouse import warehouse_connection

SLA_SQL = """
select metric, cycle_no, policy_id, initial_policy_id, calendar_id, target_minutes, started_at, stopped_at,
       stop_state, elapsed_business_seconds, paused_business_seconds, breach_at, sla_state,
       time_left_business_seconds, pause_clamped, as_of
from marts.fct_ticket_sla
where ticket_id = ?
order by metric desc, cycle_no
"""

# One row per piece x calendar segment it overlaps: the piece cut at every opening and closing time.
INTERVALS_SQL = """
select e.metric, e.cycle_no, e.piece_no, e.state, e.clock, e.policy_id, e.calendar_id,
       greatest(e.piece_start, s.segment_start_utc) as from_utc,
       least(e.measured_end, s.segment_end_utc) as to_utc,
       s.is_business, e.target_crossed_at, e.counted_before_seconds, e.pause_clamped,
       c.timezone
from marts.fct_sla_explain as e
join intermediate.int_calendar_business_segments as s
  on s.calendar_id = e.calendar_id
 and s.segment_start_utc < e.measured_end
 and s.segment_end_utc > e.piece_start
left join (select distinct calendar_id, timezone from reference.calendars) as c on c.calendar_id = e.calendar_id
where e.ticket_id = ?
order by e.metric desc, e.cycle_no, e.piece_no, from_utc
"""


@dataclass(frozen=True)
class Interval:
    metric: str
    cycle_no: int
    state: str
    kind: str  # counted | paused | outside hours
    from_utc: datetime
    to_utc: datetime
    seconds: float
    clock_after: float  # counted business seconds of the cycle at to_utc
    timezone: str
    note: str


def explain_intervals(conn: duckdb.DuckDBPyConnection, ticket_id: str) -> list[Interval]:
    """Every counted, paused or outside-hours interval of the ticket's SLA clocks, in order."""
    cursor = conn.execute(INTERVALS_SQL, [ticket_id])
    names = [d[0] for d in cursor.description]
    intervals: list[Interval] = []
    clock: dict[tuple[str, int, int], float] = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        metric, cycle_no, start, end = row["metric"], row["cycle_no"], row["from_utc"], row["to_utc"]
        state, clock_kind, crossed, clamp = row["state"], row["clock"], row["target_crossed_at"], row["pause_clamped"]
        is_business, policy_id, tz = row["is_business"], row["policy_id"], row["timezone"]
        before = row["counted_before_seconds"]
        piece_no = row["piece_no"]
        key = (metric, cycle_no, piece_no)
        running = clock.setdefault(key, float(before))
        seconds = (end - start).total_seconds()
        if not is_business:
            kind = "outside hours"
        else:
            kind = clock_kind
            if clock_kind == "counted":
                running += seconds
                clock[key] = running
        notes = [policy_id]
        if crossed is not None and (start <= crossed < end or crossed == start == end):
            notes.append(f"TARGET PASSED at {crossed:%Y-%m-%d %H:%M:%S} UTC")
        if clamp and kind == "paused":
            notes.append("pause cut at the stop (log says it went on)")
        intervals.append(
            Interval(metric, cycle_no, state, kind, start, end, seconds, running, tz or "UTC", "; ".join(notes))
        )
    return intervals


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    whole = round(abs(seconds))
    return f"{sign}{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _ts(value: datetime | None, tz: str | None = None) -> str:
    if value is None:
        return "-"
    text = f"{value:%Y-%m-%d %H:%M:%S}Z"
    if tz and tz != "UTC":
        text += f" ({value.astimezone(ZoneInfo(tz)):%a %H:%M %Z})"
    return text


def format_explain(conn: duckdb.DuckDBPyConnection, ticket_id: str) -> str | None:
    """The printable trace, or None when the ticket has no SLA clock."""
    slas = conn.execute(SLA_SQL, [ticket_id]).fetchall()
    if not slas:
        return None
    intervals = explain_intervals(conn, ticket_id)
    lines = [
        f"SLA clocks of ticket {ticket_id} (as of {_ts(slas[0][-1])}; durations h:mm:ss; clock = counted business time)"
    ]
    for (
        metric,
        cycle_no,
        policy_id,
        initial_policy_id,
        calendar_id,
        target_minutes,
        started,
        stopped,
        stop_state,
        elapsed,
        paused,
        breach_at,
        state,
        time_left,
        clamped,
        _as_of,
    ) in slas:
        policy = policy_id if policy_id == initial_policy_id else f"{initial_policy_id} -> {policy_id}"
        lines += [
            "",
            f"{metric} cycle {cycle_no}: {state.upper()}  policy {policy}  calendar {calendar_id}  "
            f"target {_hms(target_minutes * 60)}",
            f"  started {_ts(started)}  stopped {_ts(stopped)} ({stop_state or 'running'})",
            f"  counted {_hms(elapsed)}  paused {_hms(paused)}  breach_at {_ts(breach_at)}"
            + (f"  time left {_hms(time_left)}" if stopped is None else "")
            + ("  [pause clamped: bad data]" if clamped else ""),
            f"  {'from':<36} {'to':<36} {'interval':<14} {'state':<18} {'length':>10} {'clock':>10}  note",
        ]
        for iv in (i for i in intervals if (i.metric, i.cycle_no) == (metric, cycle_no)):
            lines.append(
                f"  {_ts(iv.from_utc, iv.timezone):<36} {_ts(iv.to_utc, iv.timezone):<36} {iv.kind:<14} "
                f"{iv.state:<18} {_hms(iv.seconds):>10} {_hms(iv.clock_after):>10}  {iv.note}"
            )
    return "\n".join(lines)


def register(subparsers: argparse._SubParsersAction) -> None:
    explain = subparsers.add_parser(
        "explain",
        help="print every interval of a ticket's SLA clocks: counted, paused or outside hours",
        description=(
            "Reads the SLA marts of the warehouse (read-only) and lists, per SLA metric and cycle, the policy, "
            "target and outcome, then every interval counted, paused or outside the calendar's hours with the "
            "running clock, so an auditor can see why a ticket breached. Times in UTC with the calendar's "
            "local time beside them."
        ),
    )
    explain.add_argument("ticket_id", help="ticket number, e.g. INC0010001")
    explain.set_defaults(handler=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        with warehouse_connection(settings.warehouse_path, read_only=True) as conn:
            text = format_explain(conn, args.ticket_id)
    except (FileNotFoundError, duckdb.CatalogException) as err:
        print(f"{err}\n(build the marts first: `itsm run`)", file=sys.stderr)
        return 1
    if text is None:
        print(f"no SLA clock for ticket {args.ticket_id!r} (unknown ticket, or no policy matches it)", file=sys.stderr)
        return 1
    print(text)
    return 0
