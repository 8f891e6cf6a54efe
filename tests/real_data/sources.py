"""The real-data subsets, their mapping files, and the figures a reader computes straight from the source file
with DuckDB, independently of the pipeline (no raw, staging or mart table is read here).

Event-log semantics written out once, as the mapping files declare them: events of a case ordered by
(time, sequence, row); an activity listed in the mapping's `activities` sets the state, any other keeps it
(a case starts `new`); events of one instant count as one update (the last of them); a case is resolved when
its last state is resolved or closed, at the first instant of that final run of resolved/closed states; a reopen
is a move from resolved/closed back to new / in progress / on hold / awaiting customer; a reassignment is a
move from one assignment group to another (the first assignment is not one); first-contact resolution =
resolved with no reassignment and no reopen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

from pipelines.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data" / "real"
MAPPINGS = PROJECT_ROOT / "pipelines" / "ingest" / "mappings"


@dataclass(frozen=True)
class Export:
    files: tuple[tuple[Path, Path], ...]  # (export file, mapping file), loaded in this order
    exported_at: datetime


BPIC2013 = Export(
    (
        (
            DATA / "bpic2013_volvo_incidents_ibm_derived" / "VINST-new_first100.csv",
            MAPPINGS / "bpic2013_volvo_incidents.yml",
        ),
    ),
    datetime(2012, 6, 1, tzinfo=UTC),
)
BPIC2014 = Export(
    (
        (
            DATA / "bpic2014_rabobank_SAMPLE" / "Detail_Incident__first16KB_sample.csv",
            MAPPINGS / "bpic2014_rabobank_incidents.yml",
        ),
        (
            DATA / "bpic2014_rabobank_SAMPLE" / "Detail_Incident_Activity__first16KB_sample.csv",
            MAPPINGS / "bpic2014_rabobank_activities.yml",
        ),
    ),
    datetime(2014, 4, 1, tzinfo=UTC),
)
HELPDESK = Export(
    ((DATA / "helpdesk_italian_sw_4tu_minimal" / "helpdesk_first500.csv", MAPPINGS / "helpdesk_italian_sw.yml"),),
    datetime(2013, 1, 1, tzinfo=UTC),
)
GITHUB = Export(
    ((DATA / "github_status_history" / "downtime_windows.csv", MAPPINGS / "github_status_downtime.yml"),),
    datetime(2026, 9, 1, tzinfo=UTC),
)


def existing(path: Path) -> str:
    """The path as SQL text; a missing data file fails the test (never a skip)."""
    assert path.is_file(), f"real-data file missing: {path} (tests/data/real/ is part of the repository)"
    return "'" + str(path).replace("'", "''") + "'"


def activity_states(mapping: Path) -> str:
    """The mapping's activity -> state map as a DuckDB MAP literal (lower-cased keys, as the adapter reads them)."""
    activities = yaml.safe_load(mapping.read_text())["activities"]
    pairs = ", ".join(f"'{str(k).strip().lower()}': '{v}'" for k, v in activities.items())
    return "MAP {" + pairs + "}"


def event_log_cases(conn: duckdb.DuckDBPyConnection, events_sql: str, states: str) -> str:
    """Creates the temp tables `steps` (one row per case and instant, with the previous values) and `cases`
    (case_id, priority, opened_at, resolved_at, is_resolved, reopens, reassignments, fcr) from `events_sql`
    (case_id, ts TIMESTAMPTZ, seq, activity, grp, prio, who, row_no)."""
    conn.execute(
        f"""
CREATE OR REPLACE TEMP TABLE steps AS
WITH ev AS (
    SELECT *, {states}[lower(trim(activity))] AS set_state FROM ({events_sql})
),
carried AS (
    SELECT case_id, ts, seq, row_no,
           coalesce(last_value(set_state IGNORE NULLS) OVER w, 'new') AS state,
           last_value(grp IGNORE NULLS) OVER w AS grp,
           last_value(prio IGNORE NULLS) OVER w AS prio,
           last_value(who IGNORE NULLS) OVER w AS who,
           min(ts) OVER (PARTITION BY case_id) AS opened_at
    FROM ev
    WINDOW w AS (PARTITION BY case_id ORDER BY ts, seq NULLS FIRST, row_no ROWS UNBOUNDED PRECEDING)
),
one_per_instant AS (
    SELECT * FROM carried
    QUALIFY row_number() OVER (PARTITION BY case_id, ts ORDER BY seq DESC NULLS LAST, row_no DESC) = 1
),
steps AS (
    SELECT *, lag(state) OVER w AS prev_state, lag(grp) OVER w AS prev_grp, lag(prio) OVER w AS prev_prio,
           lag(who) OVER w AS prev_who, row_number() OVER w AS step_no,
           row_number() OVER (PARTITION BY case_id ORDER BY ts DESC) = 1 AS is_last
    FROM one_per_instant
    WINDOW w AS (PARTITION BY case_id ORDER BY ts)
)
SELECT * FROM steps"""
    )
    conn.execute(
        """
CREATE OR REPLACE TEMP TABLE cases AS
WITH per_case AS (
    SELECT case_id, any_value(opened_at) AS opened_at,
           max(prio) FILTER (WHERE is_last) AS priority,
           max(state) FILTER (WHERE is_last) AS final_state,
           max(ts) FILTER (WHERE state NOT IN ('resolved', 'closed')) AS last_unresolved_at,
           count(*) FILTER (WHERE prev_state IN ('resolved', 'closed')
                            AND state IN ('new', 'in_progress', 'on_hold', 'awaiting_customer')) AS reopens,
           count(*) FILTER (WHERE prev_grp IS NOT NULL AND prev_grp <> grp) AS reassignments
    FROM steps GROUP BY case_id
)
SELECT p.case_id, p.priority, p.opened_at,
       CASE WHEN p.final_state IN ('resolved', 'closed') THEN (
           SELECT min(s.ts) FROM steps AS s
           WHERE s.case_id = p.case_id AND s.state IN ('resolved', 'closed')
             AND s.ts > coalesce(p.last_unresolved_at, '-infinity'::TIMESTAMPTZ)) END AS resolved_at,
       p.final_state IN ('resolved', 'closed') AS is_resolved,
       p.reopens, p.reassignments,
       p.final_state IN ('resolved', 'closed') AND p.reopens = 0 AND p.reassignments = 0 AS fcr
FROM per_case AS p"""
    )
    return "cases"


def field_changes(conn: duckdb.DuckDBPyConnection) -> int:
    """Changes of state, group, priority and assignee between consecutive instants of a case (after
    event_log_cases): one ticket event each."""
    return conn.execute(
        """SELECT count(*) FILTER (WHERE prev_state IS DISTINCT FROM state)
                + count(*) FILTER (WHERE prev_grp IS DISTINCT FROM grp)
                + count(*) FILTER (WHERE prev_prio IS DISTINCT FROM prio)
                + count(*) FILTER (WHERE prev_who IS DISTINCT FROM who)
           FROM steps WHERE step_no > 1"""
    ).fetchone()[0]


def bpic2013_cases(conn: duckdb.DuckDBPyConnection) -> str:
    path, mapping = BPIC2013.files[0]
    priority = (
        "CASE \"SR Latest Impact\" WHEN 'Major' THEN 1 WHEN 'High' THEN 2 WHEN 'Medium' THEN 3 WHEN 'Low' THEN 4 END"
    )
    events = f"""SELECT "SR Number" AS case_id, CAST("Change Date+Time" AS TIMESTAMPTZ) AS ts, NULL::VARCHAR AS seq,
                        "Activity" AS activity, "Involved ST" AS grp, {priority} AS prio, "Resource" AS who,
                        row_number() OVER () AS row_no
                 FROM read_csv({existing(path)}, all_varchar=true, header=true)"""
    return event_log_cases(conn, events, activity_states(mapping))


def helpdesk_cases(conn: duckdb.DuckDBPyConnection) -> str:
    path, mapping = HELPDESK.files[0]
    events = f"""SELECT CaseID AS case_id,
                        timezone('Europe/Rome', strptime(CompleteTimestamp, '%Y-%m-%d %H:%M:%S')) AS ts,
                        NULL::VARCHAR AS seq, ActivityID AS activity, NULL::VARCHAR AS grp, 3 AS prio, NULL AS who,
                        row_number() OVER () AS row_no
                 FROM read_csv({existing(path)}, all_varchar=true, header=true)"""
    return event_log_cases(conn, events, activity_states(mapping))


def bpic2014_cases(conn: duckdb.DuckDBPyConnection) -> str:
    """Incidents of Detail_Incident as the export states them: its own reopen time and reassignment counter."""
    path = BPIC2014.files[0][0]
    local = "timezone('Europe/Amsterdam', strptime({}, '%d/%m/%Y %H:%M:%S'))"
    conn.execute(
        f"""
CREATE OR REPLACE TEMP TABLE cases AS
SELECT "Incident ID" AS case_id, least(CAST("Priority" AS INTEGER), 4) AS priority,
       {local.format('"Open Time"')} AS opened_at,
       {local.format('"Resolved Time"')} AS resolved_at,
       "Status" = 'Closed' AND "Resolved Time" IS NOT NULL AS is_resolved,
       CASE WHEN "Reopen Time" IS NULL THEN 0 ELSE 1 END AS reopens,
       CAST("# Reassignments" AS INTEGER) AS reassignments,
       "Status" = 'Closed' AND "Resolved Time" IS NOT NULL AND "Reopen Time" IS NULL
           AND CAST("# Reassignments" AS INTEGER) = 0 AS fcr
FROM read_csv({existing(path)}, all_varchar=true, header=true, delim=';', nullstr=['#N/B', ''])
WHERE "Category" = 'incident'"""
    )
    return "cases"


def bpic2014_activity_steps(conn: duckdb.DuckDBPyConnection) -> str:
    path, mapping = BPIC2014.files[1]
    events = f"""SELECT "Incident ID" AS case_id,
                        timezone('Europe/Amsterdam', strptime("DateStamp", '%d-%m-%Y %H:%M:%S')) AS ts,
                        "IncidentActivity_Number" AS seq, "IncidentActivity_Type" AS activity,
                        "Assignment Group" AS grp, NULL AS prio, NULL AS who, row_number() OVER () AS row_no
                 FROM read_csv({existing(path)}, all_varchar=true, header=true, delim=';', nullstr=['#N/B', ''])"""
    return event_log_cases(conn, events, activity_states(mapping))


def kpis(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, object]:
    """Ticket count, median MTTR (calendar hours) by priority, reopen share and FCR share of resolved tickets."""
    count, resolved, reopened, fcr = conn.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE is_resolved),
                   count(*) FILTER (WHERE is_resolved AND reopens > 0), count(*) FILTER (WHERE fcr) FROM {table}"""
    ).fetchone()
    medians = conn.execute(
        f"""SELECT priority, round(median((epoch(resolved_at) - epoch(opened_at)) / 3600.0), 6) FROM {table}
            WHERE is_resolved GROUP BY priority ORDER BY priority"""
    ).fetchall()
    return {
        "tickets": count,
        "resolved": resolved,
        "median_mttr_hours_by_priority": dict(medians),
        "reopen_share": round(reopened / resolved, 6),
        "fcr_share": round(fcr / resolved, 6),
    }
