"""Read counts always reconcile: rows_read = rows_loaded + rows_quarantined, and match what landed."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest.loader import ingest_files
from pipelines.settings import Settings

HEADER = "ticket_id,ticket_type,opened_at,state,priority"
LINES = {
    "good": "{id},incident,2026-01-05 09:00:00,new,2",
    "bad_date": "{id},incident,2026-13-05 09:00:00,new,2",
    "no_type": "{id},,2026-01-05 09:00:00,new,2",
    "bad_priority": "{id},incident,2026-01-05 09:00:00,new,P9",
    "too_many": "{id},incident,2026-01-05 09:00:00,new,2,x",
    "truncated": "{id},incident,2026",
    "quoted_comma": '"{id}",incident,2026-01-05 09:00:00,"in_progress",1',
}


def check_reconciles(conn: duckdb.DuckDBPyConnection, result) -> None:
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    logged = conn.execute(
        "select rows_read, rows_loaded, rows_quarantined, tables_loaded from raw.load_log where load_id = ?",
        [result.load_id],
    ).fetchone()
    assert logged[:3] == (result.rows_read, result.rows_loaded, result.rows_quarantined)
    assert json.loads(logged[3]) == result.tables
    quarantined = conn.execute("select count(*) from raw.quarantine where _load_id = ?", [result.load_id]).fetchone()
    assert quarantined[0] == result.rows_quarantined
    for table, rows in result.tables.items():
        landed = conn.execute(f"select count(*) from raw.{table} where _load_id = ?", [result.load_id]).fetchone()
        assert landed[0] == rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(sorted(LINES)), min_size=0, max_size=30))
def test_any_mix_of_good_and_bad_lines_reconciles(kinds):
    body = "".join(LINES[kind].format(id=f"T{n}") + "\n" for n, kind in enumerate(kinds))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tickets.csv"
        path.write_text(HEADER + "\n" + body)
        with duckdb.connect() as conn:
            [result] = ingest_files(conn, [path], Settings())
            assert result.status == "loaded"
            good = sum(kind in ("good", "quoted_comma") for kind in kinds)
            assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (
                len(kinds),
                good,
                len(kinds) - good,
            )
            check_reconciles(conn, result)
            # every good row keeps its own record number: T<n> is record n + 1
            numbers = conn.execute("select ticket_id, _row_number from raw.tickets").fetchall()
            assert all(int(tid[1:]) + 1 == row for tid, row in numbers)
            lines = conn.execute("select line_number from raw.quarantine order by 1").fetchall()
            expected = [n + 2 for n, kind in enumerate(kinds) if kind not in ("good", "quoted_comma")]
            assert [line for (line,) in lines] == expected


def test_event_log_reconciles_per_source_row_while_feeding_two_tables(warehouse, write):
    from tests.ingest.test_servicenow import EVENT_LOG

    rows = EVENT_LOG.splitlines()
    rows[2] = rows[2].replace("2 - High", "8 - Whatever")  # one bad snapshot
    rows.append("INC0000099,New,true")  # one truncated line
    [result] = warehouse.load(write("incident_event_log.csv", "\n".join(rows) + "\n"))
    # 7 snapshot rows read: 5 accepted, 2 quarantined; the accepted ones feed tickets AND ticket_events.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 5, 2)
    assert set(result.tables) == {"tickets", "ticket_events"}
    check_reconciles(warehouse.conn, result)
