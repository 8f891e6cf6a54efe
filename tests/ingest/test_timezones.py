"""Naive timestamps are read in the source's declared zone and stored as UTC; explicit offsets are kept."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.cli import main

HEADER = "ticket_id,ticket_type,opened_at,state,priority\n"


def test_naive_times_across_the_spring_dst_change_in_london(warehouse, write):
    path = write(
        "tickets.csv",
        HEADER
        + "T1,incident,2026-03-29 00:30:00,new,3\n"  # GMT (UTC+0) -> 00:30Z
        + "T2,incident,2026-03-29 02:30:00,new,3\n"  # BST (UTC+1) after 01:00 GMT -> 01:30Z
        + "T3,incident,2026-10-25 00:30:00,new,3\n"  # still BST on the autumn day -> previous day 23:30Z
        + "T4,incident,2026-03-29 02:30:00+02:00,new,3\n"  # explicit offset wins over the zone -> 00:30Z
        + "T5,incident,2026-03-29T02:30:00Z,new,3\n",  # Z is UTC -> 02:30Z
    )
    [result] = warehouse.load(path, source_timezones={"canonical": "Europe/London"})
    assert result.rows_loaded == 5
    assert warehouse.rows("select ticket_id, opened_at from raw.tickets order by 1") == [
        ("T1", datetime(2026, 3, 29, 0, 30, tzinfo=UTC)),
        ("T2", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        ("T3", datetime(2026, 10, 24, 23, 30, tzinfo=UTC)),
        ("T4", datetime(2026, 3, 29, 0, 30, tzinfo=UTC)),
        ("T5", datetime(2026, 3, 29, 2, 30, tzinfo=UTC)),
    ]
    # The gap between the two naive London stamps is 1 hour of real time, not 2.
    assert (
        warehouse.one(
            "select epoch(max(opened_at)) - epoch(min(opened_at)) from raw.tickets where ticket_id in ('T1', 'T2')"
        )
        == 3600
    )


def test_default_zone_applies_to_sources_not_listed(warehouse, write):
    path = write("tickets.csv", HEADER + "T1,incident,2026-07-01 12:00:00,new,3\n")
    warehouse.load(path, default_timezone="America/New_York", source_timezones={"jira": "Asia/Tokyo"})
    # canonical is not listed -> default New York, EDT (UTC-4) in July -> 16:00Z
    assert warehouse.one("select opened_at from raw.tickets") == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)


def test_unknown_time_zone_rejects_the_file(warehouse, write):
    path = write("tickets.csv", HEADER + "T1,incident,2026-07-01 12:00:00,new,3\n")
    [result] = warehouse.load(path, source_timezones={"canonical": "Europe/Atlantis"})
    assert result.status == "rejected"
    assert result.error == "tickets.csv: unknown time zone 'Europe/Atlantis' configured for source 'canonical'"


def test_cli_source_tz_option(write, tmp_path, monkeypatch, capsys):
    db = tmp_path / "cli.duckdb"
    monkeypatch.setenv("ITSM_WAREHOUSE", str(db))
    path = write("tickets.csv", HEADER + "T1,incident,2026-03-29 02:30:00,new,3\n")
    assert main(["ingest", "--source-tz", "Europe/London", str(path)]) == 0
    import duckdb

    with duckdb.connect(str(db)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        assert conn.execute("select opened_at from raw.tickets").fetchall() == [
            (datetime(2026, 3, 29, 1, 30, tzinfo=UTC),)
        ]
