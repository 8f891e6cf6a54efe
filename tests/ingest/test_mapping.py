"""Mapping files: a YAML description of another tool's export becomes an Adapter with the same checks,
quarantine and lineage as the built-in ones; mistakes in the mapping file are named with file and key."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pytest

from pipelines.cli import main
from pipelines.ingest.mapping import MappingError, read_spec

FLAT = """
name: my_tool
shape: tickets
csv:
  delimiter: ";"
  null_values: ["#N/B", "?"]
  decimal_comma: true
timestamps:
  formats: ["%d-%m-%Y %H:%M"]
  timezone: Europe/Amsterdam
columns:
  ticket_id: Ref
  opened_at: Opened
  resolved_at: Solved
  state: Status
  priority: Prio
  assignment_group: Team
defaults:
  ticket_type: incident
values:
  state: {Open: new, Done: resolved}
  priority: {P1: 1, P2: 2, P3: 3, P4: 4}
"""


def ts(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_flat_export_with_semicolons_null_markers_and_local_dates(warehouse, write):
    mapping = write("my_tool.yml", FLAT)
    path = write(
        "export.csv",
        "Ref;Opened;Solved;Status;Prio;Team;Note\n"
        "A-1;02-03-2026 09:00;02-03-2026 17:30;Done;P2;#N/B;x\n"  # CET (UTC+1): 08:00Z .. 16:30Z
        "A-2;15-07-2026 09:00;?;Open;P4;Desk;\n"  # CEST (UTC+2): 07:00Z
        "A-3;15-07-2026 09:00;?;Parked;P4;Desk;\n",  # unmapped status: quarantined by the contract check
    )
    [result] = warehouse.load(path, mapping_file=mapping)
    assert (result.status, result.adapter) == ("loaded", "mapping:my_tool")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert warehouse.rows(
        "select ticket_id, ticket_type, opened_at, resolved_at, state, priority, assignment_group "
        "from raw.tickets order by 1"
    ) == [
        ("A-1", "incident", ts(2026, 3, 2, 8, 0), ts(2026, 3, 2, 16, 30), "resolved", 2, None),
        ("A-2", "incident", ts(2026, 7, 15, 7, 0), None, "new", 4, "Desk"),
    ]
    assert warehouse.one("select reason from raw.quarantine") == (
        'state: value "Parked" not in allowed set (new, in_progress, on_hold, awaiting_customer, resolved, closed, '
        "cancelled)"
    )
    # Lineage and unknown columns as for every adapter.
    assert warehouse.rows("select _row_number, _extra from raw.tickets where ticket_id = 'A-1'") == [
        (1, json.dumps({"Note": "x"}, separators=(",", ":")))
    ]


def test_decimal_comma_in_numeric_columns(warehouse, write):
    mapping = write(
        "outages.yml",
        """
        shape: outages
        csv: {decimal_comma: true, delimiter: ";"}
        columns: {outage_id: id, service: svc, started_at: start, ended_at: end, impact_pct: pct}
        defaults: {outage_type: degradation}
        """,
    )
    path = write("o.csv", "id;svc;start;end;pct\nO1;erp;2026-01-01T10:00:00Z;2026-01-01T11:00:00Z;12,5\n")
    [result] = warehouse.load(path, mapping_file=mapping)
    assert result.rows_loaded == 1
    assert warehouse.one("select impact_pct from raw.outages") == 12.5


EVENT_LOG = """
name: pm
shape: event_log
columns:
  ticket_id: case
  event_at: time
  activity: activity
  assignment_group: group
  actor: resource
  priority: prio
defaults:
  ticket_type: incident
activities:
  Register: new
  Work: in_progress
  Solve: resolved
  Close: closed
"""


def test_event_log_yields_tickets_and_events_in_time_order(warehouse, write):
    mapping = write("pm.yml", EVENT_LOG)
    # Rows out of time order; "Note" is no state change; C1 is resolved, reopened and resolved again, then closed;
    # C2 is resolved and reopened (open now).
    path = write(
        "log.csv",
        "case,time,activity,group,resource,prio\n"
        "C1,2026-01-01T12:00:00Z,Solve,L1,ann,\n"
        "C1,2026-01-01T08:00:00Z,Register,L1,ann,3\n"
        "C1,2026-01-01T09:00:00Z,Work,L2,bob,\n"
        "C1,2026-01-01T10:00:00Z,Note,,bob,2\n"
        "C1,2026-01-02T09:00:00Z,Work,L2,bob,\n"
        "C1,2026-01-02T10:00:00Z,Solve,L2,bob,\n"
        "C1,2026-01-03T10:00:00Z,Close,L2,cat,\n"
        "C2,2026-01-05T08:00:00Z,Register,L1,ann,4\n"
        "C2,2026-01-05T09:00:00Z,Solve,L1,ann,\n"
        "C2,2026-01-06T09:00:00Z,Work,L1,ann,\n",
    )
    [result] = warehouse.load(path, mapping_file=mapping)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (10, 10, 0)
    assert warehouse.rows(
        "select ticket_id, opened_at, resolved_at, closed_at, state, priority, assignment_group from raw.tickets "
        "order by 1"
    ) == [
        # final run of resolved/closed states starts at the second Solve (01-02 10:00); closed 01-03 10:00
        ("C1", ts(2026, 1, 1, 8), ts(2026, 1, 2, 10), ts(2026, 1, 3, 10), "closed", 2, "L2"),
        # reopened and not resolved again: no resolution
        ("C2", ts(2026, 1, 5, 8), None, None, "in_progress", 4, "L1"),
    ]
    assert warehouse.rows(
        "select ticket_id, event_at, field, from_value, to_value, actor from raw.ticket_events "
        "order by ticket_id, event_at, field"
    ) == [
        ("C1", ts(2026, 1, 1, 9), "assignment_group", "L1", "L2", "bob"),
        ("C1", ts(2026, 1, 1, 9), "state", "new", "in_progress", "bob"),
        ("C1", ts(2026, 1, 1, 10), "priority", "3", "2", "bob"),
        # 01-01 12:00 Solve with group L1: the group moves back and the state to resolved
        ("C1", ts(2026, 1, 1, 12), "assignment_group", "L2", "L1", "ann"),
        ("C1", ts(2026, 1, 1, 12), "state", "in_progress", "resolved", "ann"),
        ("C1", ts(2026, 1, 2, 9), "assignment_group", "L1", "L2", "bob"),
        ("C1", ts(2026, 1, 2, 9), "state", "resolved", "in_progress", "bob"),
        ("C1", ts(2026, 1, 2, 10), "state", "in_progress", "resolved", "bob"),
        ("C1", ts(2026, 1, 3, 10), "state", "resolved", "closed", "cat"),
        ("C2", ts(2026, 1, 5, 9), "state", "new", "resolved", "ann"),
        ("C2", ts(2026, 1, 6, 9), "state", "resolved", "in_progress", "ann"),
    ]


def test_event_log_bad_event_is_quarantined_and_the_case_loads_from_the_rest(warehouse, write):
    mapping = write("pm.yml", EVENT_LOG)
    path = write(
        "log.csv",
        "case,time,activity,group,resource,prio\n"
        "C1,2026-01-01T08:00:00Z,Register,L1,ann,3\n"
        "C1,not a time,Work,L2,bob,\n"
        "C1,2026-01-01T12:00:00Z,Solve,L1,ann,\n",
    )
    [result] = warehouse.load(path, mapping_file=mapping)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert warehouse.rows("select line_number, target_table, reason from raw.quarantine") == [
        (3, "tickets", 'event_at: bad timestamp "not a time"')
    ]
    assert warehouse.rows("select state, resolved_at from raw.tickets") == [("resolved", ts(2026, 1, 1, 12))]


def test_events_only_log_feeds_ticket_events_alone(warehouse, write):
    mapping = write("pm.yml", EVENT_LOG.replace("shape: event_log", "shape: event_log\nyields: [ticket_events]"))
    path = write(
        "log.csv",
        "case,time,activity,group,resource,prio\n"
        "C1,2026-01-01T08:00:00Z,Register,L1,ann,3\n"
        "C1,2026-01-01T12:00:00Z,Solve,L1,ann,\n",
    )
    [result] = warehouse.load(path, mapping_file=mapping)
    assert result.tables == {"ticket_events": 1}
    assert warehouse.one("select count(*) from raw.tickets") == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (FLAT.replace("columns:", "colums:"), "my_tool.yml: unknown key colums; allowed: name, description, shape"),
        (FLAT.replace("  ticket_id: Ref\n", ""), "my_tool.yml: columns.ticket_id is missing"),
        (FLAT.replace("  priority: Prio\n", "  prio: Prio\n"), "my_tool.yml: columns.prio is not a column of tickets"),
        (FLAT.replace('delimiter: ";"', "delimiter: ';;'"), "my_tool.yml: csv.delimiter must be one character"),
        (FLAT.replace("decimal_comma", "decimal_point"), "my_tool.yml: unknown key csv.decimal_point"),
        (FLAT.replace("shape: tickets", "shape: incidents"), "my_tool.yml: shape 'incidents' is not one of"),
        (EVENT_LOG.replace("Close: closed", "Close: done"), "my_tool.yml: activities maps to 'done', not a ticket"),
        ("- just\n- a list\n", "my_tool.yml: must be a YAML mapping"),
        ("columns: [\n", "my_tool.yml: not valid YAML"),
    ],
)
def test_mistakes_in_the_mapping_file_name_the_file_and_the_key(write, text, message):
    path = write("my_tool.yml", text)
    with pytest.raises(MappingError) as raised:
        read_spec(path)
    assert str(raised.value).startswith(message)


def test_a_column_missing_from_the_export_rejects_the_file_naming_mapping_and_key(warehouse, write):
    mapping = write("my_tool.yml", FLAT)
    path = write("export.csv", "Ref;Opened;Solved;State;Prio;Team\nA-1;02-03-2026 09:00;;Done;P2;x\n")
    [result] = warehouse.load(path, mapping_file=mapping)
    assert result.status == "rejected"
    assert result.error.startswith(
        "export.csv: mapping my_tool.yml: columns.state names column 'Status', which is not in the header (Ref, "
    )


def test_sidecar_names_the_mapping_of_an_inbox_file(warehouse, write, tmp_path):
    from pipelines.ingest.loader import ingest_inbox
    from pipelines.settings import Settings

    write("my_tool.yml", FLAT)
    write("export.csv", "Ref;Opened;Solved;Status;Prio;Team\nA-1;02-03-2026 09:00;;Open;P2;x\n")
    write("export.csv.export.yml", "mapping: my_tool.yml\nexported_at: 2026-03-03T00:00:00Z\n")
    [result] = ingest_inbox(warehouse.conn, Settings(warehouse_path=warehouse.path, inbox_dir=tmp_path / "exports"))
    assert (result.status, result.adapter, result.rows_loaded) == ("loaded", "mapping:my_tool", 1)


def test_cli_mapping_option_and_its_errors(write, tmp_path, monkeypatch, capsys):
    db = tmp_path / "cli.duckdb"
    monkeypatch.setenv("ITSM_WAREHOUSE", str(db))
    mapping = write("my_tool.yml", FLAT)
    path = write("export.csv", "Ref;Opened;Solved;Status;Prio;Team\nA-1;02-03-2026 09:00;;Open;P2;x\n")
    assert main(["ingest", "--mapping", str(mapping), str(path)]) == 0
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("select adapter, rows_loaded from raw.load_log").fetchall() == [("mapping:my_tool", 1)]
    bad = write("bad.yml", FLAT.replace("columns:", "colums:"))
    capsys.readouterr()
    assert main(["ingest", "--mapping", str(bad), str(path)]) == 2
    assert "--mapping: bad.yml: unknown key colums" in capsys.readouterr().err
    assert main(["ingest", "--mapping", str(mapping), "--adapter", "jira", str(path)]) == 2


def test_the_readme_worked_mapping_file_loads_an_export(warehouse, write):
    import re

    from pipelines.settings import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL) if b.startswith("# my_tool.yml")]
    mapping = write("my_tool.yml", block)
    path = write(
        "incidents.csv",
        "Incident ID;Open Time;Resolved Time;Status;Priority;Service;Team;# Reassignments\n"
        "IM1;02-03-2026 09:00:00;02-03-2026 11:30;Solved;High;erp;Desk;2\n",
    )
    [result] = warehouse.load(path, mapping_file=mapping)
    assert (result.status, result.rows_loaded) == ("loaded", 1)
    # 09:00 and 11:30 CET (UTC+1): 2.5 hours apart, stored as 08:00Z and 10:30Z
    assert warehouse.rows("select opened_at, resolved_at, state, priority, reassignment_count from raw.tickets") == [
        (ts(2026, 3, 2, 8, 0), ts(2026, 3, 2, 10, 30), "resolved", 2, 2)
    ]
