"""The export instant of a file: given on the command line, in a sidecar, or the load's start; stored in
raw.load_log.exported_at; refused when unparsable, without an offset or in the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from pipelines.cli import main
from pipelines.ingest.sidecar import InvalidExportInstant, parse_export_instant

HEADER = "ticket_id,ticket_type,opened_at,state,priority\n"
ROW = "T1,incident,2026-03-02T09:00:00Z,new,3\n"


def test_without_instant_the_load_start_is_the_export_instant(warehouse, write):
    before = datetime.now(UTC)
    warehouse.load(write("tickets.csv", HEADER + ROW))
    exported_at, started_at = warehouse.rows("select exported_at, started_at from raw.load_log")[0]
    assert exported_at == started_at
    assert before <= exported_at <= datetime.now(UTC)


def test_sidecar_gives_the_export_instant(warehouse, write):
    path = write("tickets.csv", HEADER + ROW)
    write("tickets.csv.export.yml", "exported_at: 2026-04-01T08:30:00+02:00\n")
    [result] = warehouse.load(path)
    assert result.status == "loaded"
    # 08:30 at +02:00 = 06:30 UTC
    assert warehouse.one("select exported_at from raw.load_log") == datetime(2026, 4, 1, 6, 30, tzinfo=UTC)


def test_instant_given_to_the_call_wins_over_the_sidecar(warehouse, write, tmp_path):
    from pipelines.ingest.loader import ingest_files
    from pipelines.settings import Settings

    path = write("tickets.csv", HEADER + ROW)
    write("tickets.csv.export.yml", "exported_at: 2026-04-01T08:30:00Z\n")
    given = datetime(2026, 5, 1, tzinfo=UTC)
    ingest_files(warehouse.conn, [path], Settings(warehouse_path=warehouse.path), exported_at=given)
    assert warehouse.one("select exported_at from raw.load_log") == given


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        ("exported_at: yesterday\n", "exported_at 'yesterday' is not an ISO 8601 instant"),
        ("exported_at: '2026-04-01 08:30'\n", "has no UTC offset; write it with Z (UTC) or an offset such as +01:00"),
        ("exported_at: 2999-01-01T00:00:00Z\n", "is in the future"),
        ("exported: 2026-04-01T00:00:00Z\n", "unknown key(s) exported; allowed: exported_at, mapping"),
        ("mapping: nowhere.yml\n", "nowhere.yml not found"),
    ],
)
def test_a_bad_sidecar_rejects_its_file_naming_the_sidecar(warehouse, write, sidecar, message):
    path = write("tickets.csv", HEADER + ROW)
    write("tickets.csv.export.yml", sidecar)
    [result] = warehouse.load(path)
    assert result.status == "rejected"
    assert result.error.startswith("tickets.csv: sidecar tickets.csv.export.yml: ")
    assert message in result.error
    assert warehouse.one("select count(*) from raw.tickets") == 0


def test_parse_export_instant_refuses_the_future_and_naive_text():
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert parse_export_instant("2026-11-01T13:00:00+01:00", now=now) == now  # 13:00+01 = 12:00Z, not future
    with pytest.raises(InvalidExportInstant, match="in the future"):
        parse_export_instant((now + timedelta(seconds=1)).isoformat(), now=now)
    with pytest.raises(InvalidExportInstant, match="no UTC offset"):
        parse_export_instant("2026-11-01T12:00:00", now=now)
    with pytest.raises(InvalidExportInstant, match="not an ISO 8601 instant"):
        parse_export_instant("1/11/2026", now=now)


def test_cli_exported_at_is_stored_for_every_file_of_the_call(write, tmp_path, monkeypatch):
    db = tmp_path / "cli.duckdb"
    monkeypatch.setenv("ITSM_WAREHOUSE", str(db))
    first = write("tickets_a.csv", HEADER + ROW)
    second = write("tickets_b.csv", HEADER + "T2,incident,2026-03-03T09:00:00Z,new,3\n")
    assert main(["ingest", "--exported-at", "2026-06-30T22:00:00Z", str(first), str(second)]) == 0
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("select distinct exported_at from raw.load_log").fetchall() == [
            (datetime(2026, 6, 30, 22, 0, tzinfo=UTC),)
        ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2999-01-01T00:00:00Z", "--exported-at: 2999-01-01T00:00:00+00:00 is in the future"),
        ("last tuesday", "--exported-at: 'last tuesday' is not an ISO 8601 instant"),
        ("2026-06-30T22:00:00", "--exported-at: 2026-06-30T22:00:00 has no UTC offset"),
    ],
)
def test_cli_refuses_a_bad_exported_at_before_touching_the_warehouse(
    write, tmp_path, monkeypatch, capsys, value, message
):
    db = tmp_path / "cli.duckdb"
    monkeypatch.setenv("ITSM_WAREHOUSE", str(db))
    path = write("tickets.csv", HEADER + ROW)
    assert main(["ingest", "--exported-at", value, str(path)]) == 2
    assert message in capsys.readouterr().err
    assert not db.exists()
