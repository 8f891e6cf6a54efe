"""Loading is incremental and idempotent; a corrected re-export supersedes earlier rows downstream."""

from __future__ import annotations

from dataclasses import replace

from pipelines.ingest.loader import ingest_inbox
from pipelines.settings import Settings

HEADER = "ticket_id,ticket_type,opened_at,state,priority,assignment_group\n"


def table_counts(warehouse) -> dict[str, int]:
    tables = ("tickets", "ticket_events", "changes", "outages", "surveys", "quarantine", "load_log")
    return {t: warehouse.one(f"select count(*) from raw.{t}") for t in tables}


def test_running_the_inbox_twice_adds_nothing(warehouse, write, tmp_path):
    write("tickets_jan.csv", HEADER + "INC1,incident,2026-01-05 09:00:00,new,2,Desk\nINC2,incident,bad,new,2,Desk\n")
    write("probes.csv", "service,checked_at,up\nweb,2026-01-01 00:00:00,0\nweb,2026-01-01 00:01:00,1\n")
    write("mystery.csv", "alpha,beta\n1,2\n")
    write("blank.csv", "")  # rejected before any header is read
    settings = Settings(warehouse_path=warehouse.path, inbox_dir=tmp_path / "exports")
    first = ingest_inbox(warehouse.conn, settings)
    after_first = table_counts(warehouse)
    second = ingest_inbox(warehouse.conn, settings)
    assert sorted(r.status for r in first) == ["loaded", "loaded", "rejected", "rejected"]
    # The inbox run skips files already loaded and files already rejected with the same bytes.
    assert [r.status for r in second] == ["skipped_duplicate"] * 4
    assert table_counts(warehouse) == after_first
    assert after_first == {
        "tickets": 1,
        "ticket_events": 0,
        "changes": 0,
        "outages": 1,
        "surveys": 0,
        "quarantine": 1,
        "load_log": 4,
    }


def test_explicit_reload_of_a_rejected_file_is_retried(warehouse, write):
    path = write("export.csv", "change_id,change_type\nC1,normal\n")  # no requested_at: missing required column
    [first] = warehouse.load(path)
    [second] = warehouse.load(path)
    assert (first.status, second.status) == ("rejected", "rejected")
    assert warehouse.one("select count(*) from raw.load_log where status = 'rejected'") == 2


def test_corrected_re_export_lands_as_new_rows_and_staging_keeps_the_latest(warehouse, write, dbt, tmp_path):
    v1 = write(
        "tickets_v1.csv",
        HEADER + "INC1,incident,2026-01-05 09:00:00,in_progress,3,Desk\nINC2,request,2026-01-05 10:00:00,new,4,Desk\n",
    )
    v2 = write("tickets_v2.csv", HEADER + "INC1,incident,2026-01-05 09:00:00,resolved,2,Network\n")
    first, second = warehouse.load(v1, v2)
    assert second.load_id > first.load_id
    # raw keeps history: both versions of INC1
    assert warehouse.rows("select state, _load_id from raw.tickets where ticket_id = 'INC1' order by _load_id") == [
        ("in_progress", first.load_id),
        ("resolved", second.load_id),
    ]
    warehouse.close()
    dbt(["run", "--select", "stg_raw__tickets"], warehouse.path, tmp_path / "dbt")
    warehouse.reopen()
    assert warehouse.rows(
        "select ticket_id, state, priority, assignment_group, _load_id from staging.stg_raw__tickets order by 1"
    ) == [
        ("INC1", "resolved", 2, "Network", second.load_id),
        ("INC2", "new", 4, "Desk", first.load_id),
    ]


def test_inbox_loads_in_path_order_so_later_exports_win(warehouse, write, tmp_path):
    write("b_tickets_feb.csv", HEADER + "INC1,incident,2026-01-05 09:00:00,closed,2,Desk\n")
    write("a_tickets_jan.csv", HEADER + "INC1,incident,2026-01-05 09:00:00,new,2,Desk\n")
    settings = replace(Settings(warehouse_path=warehouse.path), inbox_dir=tmp_path / "exports")
    results = ingest_inbox(warehouse.conn, settings)
    assert [r.path.name for r in results] == ["a_tickets_jan.csv", "b_tickets_feb.csv"]
    assert warehouse.one("select state from raw.tickets order by _load_id desc limit 1") == "closed"
