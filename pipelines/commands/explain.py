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
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from pipelines.commands import invoke
from pipelines.settings import Settings

if TYPE_CHECKING:
    import duckdb

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


def _relation_exists(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        conn.execute(
            """select count(*) from (select schema_name, table_name as name from duckdb_tables()
                                     union all select schema_name, view_name from duckdb_views())
               where schema_name = ? and name = ?""",
            [schema, name],
        ).fetchone()[0]
    )


def resolve_ticket_id(conn: duckdb.DuckDBPyConnection, ticket_id: str) -> list[str]:
    """The stored ticket ids with an SLA clock that equal `ticket_id` ignoring case (the exact spelling first):
    people type `inc0001234` for `INC0001234`. More than one means ids that differ only in case."""
    ids = [
        row[0]
        for row in conn.execute(
            "select distinct ticket_id from marts.fct_ticket_sla where lower(ticket_id) = lower(?) order by 1",
            [ticket_id],
        ).fetchall()
    ]
    return [ticket_id] if ticket_id in ids else ids


def as_of_text(conn: duckdb.DuckDBPyConnection, running_as_of: datetime | None) -> str:
    """The instant the numbers are measured to, or why no instant applies.

    fct_ticket_sla.as_of is set only on running clocks (a stopped clock's numbers do not depend on the run); the
    run's instant comes from intermediate.int_sla_as_of (the as_of var, or the latest instant in the data)."""
    run_as_of, source = None, None
    if _relation_exists(conn, "intermediate", "int_sla_as_of"):
        cursor = conn.execute("select * from intermediate.int_sla_as_of limit 1")
        names = [d[0] for d in cursor.description]
        row = dict(zip(names, cursor.fetchone() or (), strict=False))
        run_as_of, source = row.get("as_of"), row.get("as_of_source")
    known = {"var": "set by the as_of var", "data": "the latest instant in the data"}
    origin = known.get(source, f"from {source}") if source else ""
    run_text = f"{_ts(run_as_of)}, {origin}" if origin else _ts(run_as_of)
    if running_as_of is not None:
        return f"as of {_ts(running_as_of)}: a clock is still running and is measured to the run's as-of"
    if run_as_of is not None:
        return f"all clocks stopped, so no as-of applies (the run's as-of is {run_text})"
    return "all clocks stopped, so no as-of applies (the run's as-of is unknown: intermediate.int_sla_as_of is missing)"


def print_explain(conn: duckdb.DuckDBPyConnection, ticket_id: str) -> None:
    """Per SLA metric and cycle: policy, target and outcome, then a table of every interval."""
    from pipelines.commands.output import Column, print_lines, print_table

    slas = conn.execute(SLA_SQL, [ticket_id]).fetchall()
    intervals = explain_intervals(conn, ticket_id)
    running = next((row[-1] for row in slas if row[-1] is not None), None)
    print_lines(
        [
            f"SLA clocks of ticket {ticket_id}",
            as_of_text(conn, running),
            "durations h:mm:ss; clock = counted business time",
        ]
    )
    columns = [
        Column("from"),
        Column("to"),
        Column("interval"),
        Column("state"),
        Column("length", "right"),
        Column("clock", "right"),
        Column("note"),
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
        print_lines(
            [
                "",
                f"{metric} cycle {cycle_no}: {state.upper()}  policy {policy}  calendar {calendar_id}  "
                f"target {_hms(target_minutes * 60)}",
                f"  started {_ts(started)}  stopped {_ts(stopped)} ({stop_state or 'running'})",
                f"  counted {_hms(elapsed)}  paused {_hms(paused)}  breach_at {_ts(breach_at)}"
                + (f"  time left {_hms(time_left)}" if stopped is None else "")
                + ("  [pause clamped: bad data]" if clamped else ""),
            ]
        )
        rows = [
            (
                _ts(iv.from_utc, iv.timezone),
                _ts(iv.to_utc, iv.timezone),
                iv.kind,
                iv.state,
                _hms(iv.seconds),
                _hms(iv.clock_after),
                iv.note,
            )
            for iv in intervals
            if (iv.metric, iv.cycle_no) == (metric, cycle_no)
        ]
        print_table(columns, rows)


EXPLAIN_HELP = "print every interval of a ticket's SLA clocks: counted, paused or outside hours"


def register(app: typer.Typer) -> None:
    @app.command(
        "explain",
        short_help=EXPLAIN_HELP,
        help=(
            "Print every interval of a ticket's SLA clocks: counted, paused or outside hours.\n\n"
            "Reads the SLA marts of the warehouse (read-only) and lists, per SLA metric and cycle, the policy, "
            "target and outcome, then every interval counted, paused or outside the calendar's hours with the "
            "running clock, so an auditor can see why a ticket breached. Times in UTC with the calendar's "
            "local time beside them. The ticket id is matched ignoring case (inc0010001 finds INC0010001)."
        ),
    )
    def explain(
        ticket_id: Annotated[str, typer.Argument(metavar="TICKET_ID", help="ticket number, e.g. INC0010001")],
    ) -> None:
        invoke(cmd_explain, locals())


def cmd_explain(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.warehouse import warehouse_connection

    settings = Settings.from_env()
    try:
        with warehouse_connection(settings.warehouse_path, read_only=True) as conn:
            matches = resolve_ticket_id(conn, args.ticket_id)
            if len(matches) == 1:
                print_explain(conn, matches[0])
                return 0
    except (FileNotFoundError, duckdb.CatalogException) as err:
        print(f"{err}\n(build the marts first: `itsm run`)", file=sys.stderr)
        return 1
    if matches:
        print(
            f"ticket id {args.ticket_id!r} is ambiguous ignoring case: {', '.join(matches)}; type it exactly",
            file=sys.stderr,
        )
    else:
        print(f"no SLA clock for ticket {args.ticket_id!r} (unknown ticket, or no policy matches it)", file=sys.stderr)
    return 1
