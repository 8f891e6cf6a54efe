"""The demo generator's exports (canonical CSV/Parquet/JSONL, ServiceNow event log, Jira) through the loader:
every file loads, every seeded defect with a line lands in quarantine at that line, counts reconcile."""

from __future__ import annotations

import json

from pipelines.demo.generator import generate_demo_data
from pipelines.demo.window import WINDOW_END
from pipelines.ingest.loader import ingest_inbox
from pipelines.settings import Settings


def test_demo_exports_load_and_their_seeded_defects_are_quarantined(warehouse, tmp_path):
    inbox = tmp_path / "inbox"
    generate_demo_data(inbox, seed=7, n_tickets=600)
    manifest = json.loads((inbox / ".defects.json").read_text())
    settings = Settings(
        warehouse_path=warehouse.path,
        inbox_dir=inbox,
        source_timezones={"servicenow": "Europe/London", "jira": "UTC"},
    )
    results = ingest_inbox(warehouse.conn, settings)
    assert {r.path.name: r.status for r in results} == {f["name"]: "loaded" for f in manifest["files"]}
    for result in results:
        assert result.rows_read == result.rows_loaded + result.rows_quarantined
    by_file = {r.path.name: r for r in results}
    for listed in manifest["files"]:  # the generator's own row counts are what the loader read
        assert by_file[listed["name"]].rows_read == listed["rows"], listed["name"]
    assert by_file["servicenow_incident_eventlog.csv"].adapter == "servicenow:event_log"
    assert by_file["jira_export.csv"].adapter == "jira:jsm"

    quarantined = {
        (path.rsplit("/", 1)[-1], line)
        for path, line in warehouse.rows("select _source_file, line_number from raw.quarantine")
    }
    # Every seeded defect, the repeated row included, is quarantined at its line, and nothing else is.
    expected = {(d["file"], d["line_number"]) for d in manifest["defects"]}
    assert quarantined == expected


def test_demo_exports_are_stamped_with_the_window_end_so_the_demo_now_is_fixed(warehouse, tmp_path):
    inbox = tmp_path / "inbox"
    generate_demo_data(inbox, seed=7, n_tickets=600)
    assert (inbox / "tickets.csv.export.yml").read_text() == "exported_at: 2026-11-01T00:00:00+00:00\n"
    ingest_inbox(warehouse.conn, Settings(warehouse_path=warehouse.path, inbox_dir=inbox))
    # Every file of the demo, whatever day it is loaded on, says it was exported at the window's end.
    assert warehouse.rows("select distinct exported_at from raw.load_log") == [(WINDOW_END,)]
