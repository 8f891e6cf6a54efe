"""The real-data subsets load with their shipped mapping files: every row read is loaded or quarantined, and the
tickets and events the loader derives are the ones counted straight from the source file."""

from __future__ import annotations

import json

import duckdb

from tests.real_data import sources
from tests.real_data.conftest import load_export


def loaded(tmp_path, export):
    path = tmp_path / "itsm.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("SET TimeZone = 'UTC'")
    results = load_export(conn, path, export)
    for result in results:
        assert result.status == "loaded", result.error
        assert result.rows_read == result.rows_loaded + result.rows_quarantined
    return conn, results


def test_bpic2013_volvo_event_log_gives_one_ticket_per_request_and_its_status_changes(tmp_path, source):
    conn, [result] = loaded(tmp_path, sources.BPIC2013)
    sources.bpic2013_cases(source)
    rows = source.execute(f"SELECT count(*) FROM read_csv({sources.existing(sources.BPIC2013.files[0][0])})").fetchone()
    # 1,868 rows read, none quarantined: BOM, CRLF and the missing final newline are no problem.
    assert (result.rows_read, result.rows_quarantined) == (rows[0], 0) == (1868, 0)
    assert result.tables == {"tickets": 100, "ticket_events": sources.field_changes(source)}
    # The BOM is not part of the first column's name (ticket ids are read) and CRLF is not part of the last value.
    assert conn.execute("SELECT count(*) FROM raw.tickets WHERE ticket_id LIKE '1-%'").fetchone()[0] == 100
    assert conn.execute("SELECT count(*) FROM raw.tickets WHERE assignee LIKE '%' || chr(13)").fetchone()[0] == 0
    expected = source.execute("SELECT case_id, opened_at, resolved_at FROM cases ORDER BY case_id").fetchall()
    assert conn.execute("SELECT ticket_id, opened_at, resolved_at FROM raw.tickets ORDER BY 1").fetchall() == expected
    # The log's reopens (Completed-Resolved, then back in a queue) are state events from resolved.
    reopened = source.execute("SELECT count(*) FROM cases WHERE reopens > 0").fetchone()[0]
    assert reopened > 0
    assert (
        conn.execute(
            """SELECT count(DISTINCT ticket_id) FROM raw.ticket_events WHERE field = 'state'
               AND from_value IN ('resolved', 'closed') AND to_value NOT IN ('resolved', 'closed', 'cancelled')"""
        ).fetchone()[0]
        == reopened
    )


def test_bpic2014_rabobank_incidents_and_activities_with_their_quirks(tmp_path, source):
    conn, [incidents, activities] = loaded(tmp_path, sources.BPIC2014)
    # Detail_Incident: 51 incidents, ';' delimited, '#N/B' nulls, priority 5 folded into 4 by the mapping.
    assert (incidents.rows_read, incidents.rows_quarantined, incidents.tables) == (51, 0, {"tickets": 51})
    path = sources.existing(sources.BPIC2014.files[0][0])
    nulls = source.execute(
        f"""SELECT count(*) FILTER (WHERE "CI Name (aff)" = '#N/B'), count(*) FILTER (WHERE "Priority" = '5')
            FROM read_csv({path}, all_varchar=true, delim=';')"""
    ).fetchone()
    assert conn.execute("SELECT count(*) FROM raw.tickets WHERE ci IS NULL").fetchone()[0] == nulls[0]
    assert (
        conn.execute("SELECT count(*) FROM raw.tickets WHERE priority = 4").fetchone()[0]
        == (
            source.execute(
                f"SELECT count(*) FROM read_csv({path}, all_varchar=true, delim=';') WHERE \"Priority\" IN ('4', '5')"
            ).fetchone()[0]
        )
    )
    assert nulls[1] > 0
    # The comma-decimal handle time is kept as the export wrote it, beside the unknown columns.
    extra = json.loads(conn.execute("SELECT _extra FROM raw.tickets WHERE ticket_id = 'IM0000004'").fetchone()[0])
    assert extra["Handle Time (Hours)"] == "3871,691111"
    # Opened 05/02/2012 13:32:57 in Amsterdam (CET, UTC+1) = 12:32:57 UTC.
    assert str(conn.execute("SELECT opened_at FROM raw.tickets WHERE ticket_id = 'IM0000004'").fetchone()[0]) == (
        "2012-02-05 12:32:57+00:00"
    )
    # Detail_Incident_Activity: rows out of time order become events in time order.
    sources.bpic2014_activity_steps(source)
    assert (activities.rows_read, activities.rows_quarantined) == (188, 0)
    assert activities.tables == {"ticket_events": sources.field_changes(source)}
    # Each state change goes from the state the previous change left, in time order (file order differs).
    expected = source.execute(
        """SELECT case_id, ts, prev_state, state FROM steps
           WHERE step_no > 1 AND prev_state IS DISTINCT FROM state ORDER BY case_id, ts"""
    ).fetchall()
    assert expected
    assert (
        conn.execute(
            """SELECT ticket_id, event_at, from_value, to_value FROM raw.ticket_events WHERE field = 'state'
               ORDER BY ticket_id, event_at"""
        ).fetchall()
        == expected
    )


def test_helpdesk_event_log_gives_one_ticket_per_case(tmp_path, source):
    conn, [result] = loaded(tmp_path, sources.HELPDESK)
    sources.helpdesk_cases(source)
    assert (result.rows_read, result.rows_quarantined) == (1764, 0)
    assert result.tables == {"tickets": 500, "ticket_events": sources.field_changes(source)}
    assert conn.execute("SELECT ticket_id, opened_at, resolved_at FROM raw.tickets ORDER BY 1").fetchall() == (
        source.execute("SELECT case_id, opened_at, resolved_at FROM cases ORDER BY case_id").fetchall()
    )


def test_github_status_windows_load_as_outages(tmp_path, source):
    conn, [result] = loaded(tmp_path, sources.GITHUB)
    path = sources.existing(sources.GITHUB.files[0][0])
    counts = dict(
        source.execute(f"SELECT impact, count(*) FROM read_csv({path}, all_varchar=true) GROUP BY impact").fetchall()
    )
    assert (
        (result.rows_read, result.rows_loaded, result.rows_quarantined)
        == (819, 819, 0)
        == (sum(counts.values()), sum(counts.values()), 0)
    )
    assert dict(conn.execute("SELECT outage_type, count(*) FROM raw.outages GROUP BY 1").fetchall()) == {
        "degradation": counts["minor"] + counts["none"],
        "unplanned": counts["major"] + counts.get("critical", 0),
        "planned": counts["maintenance"],
    }
    # The zero-length window loads as it is: it starts and ends at the same minute.
    assert (
        conn.execute("SELECT count(*) FROM raw.outages WHERE started_at = ended_at").fetchone()[0]
        == (source.execute(f"SELECT count(*) FROM read_csv({path}) WHERE downtime_start = downtime_end").fetchone()[0])
    )
