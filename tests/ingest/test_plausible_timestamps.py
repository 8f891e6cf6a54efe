"""Only plausible instants load: a timestamp after the file's export instant, before 1990, BC, with a two-digit
year or an offset beyond +-14:00 quarantines its row (not the file), with a reason naming column and value."""

from __future__ import annotations

from datetime import UTC, datetime

HEADER = "ticket_id,ticket_type,opened_at,resolved_at,state,priority\n"
EXPORTED = "exported_at: 2026-11-01T00:00:00Z\n"


def load_one_bad(warehouse, write, bad_row: str, name: str = "tickets.csv", header: str = HEADER):
    good = "T1,incident,2026-03-02T09:00:00Z,,new,3\n" if header == HEADER else ""
    path = write(name, header + good + bad_row)
    write(name + ".export.yml", EXPORTED)
    [result] = warehouse.load(path)
    assert result.status == "loaded"
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    return result, warehouse.rows("select line_number, reason from raw.quarantine")


def test_opened_after_the_export_instant_is_quarantined(warehouse, write):
    result, quarantined = load_one_bad(warehouse, write, "T2,incident,2029-05-01T10:00:00Z,,new,3\n")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert quarantined == [
        (3, 'opened_at: "2029-05-01T10:00:00Z" is after the file\'s export instant 2026-11-01T00:00:00+00:00')
    ]
    assert warehouse.rows("select ticket_id from raw.tickets") == [("T1",)]


def test_one_second_after_the_export_instant_is_quarantined_and_the_instant_itself_loads(warehouse, write):
    path = write(
        "tickets.csv",
        HEADER
        + "T1,incident,2026-10-31T23:00:00Z,2026-11-01T00:00:00Z,resolved,3\n"
        + "T2,incident,2026-10-31T23:00:00Z,2026-11-01T00:00:01Z,resolved,3\n",
    )
    write("tickets.csv.export.yml", EXPORTED)
    [result] = warehouse.load(path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert warehouse.one("select reason from raw.quarantine").startswith('resolved_at: "2026-11-01T00:00:01Z" is after')


def test_year_9999_is_after_the_export_instant(warehouse, write):
    _, quarantined = load_one_bad(warehouse, write, "T2,incident,9999-12-31 23:59:59,,new,3\n")
    assert quarantined == [
        (3, 'opened_at: "9999-12-31 23:59:59" is after the file\'s export instant 2026-11-01T00:00:00+00:00')
    ]


def test_year_10000_is_quarantined(warehouse, write):
    _, quarantined = load_one_bad(warehouse, write, "T2,incident,10000-01-01 00:00:00,,new,3\n")
    assert quarantined == [
        (3, 'opened_at: "10000-01-01 00:00:00" is after the file\'s export instant 2026-11-01T00:00:00+00:00')
    ]


def test_bc_dates_are_quarantined(warehouse, write):
    _, quarantined = load_one_bad(
        warehouse, write, "T2,incident,-0044-03-15 12:00:00,,new,3\nT3,incident,0044-03-15 12:00:00 BC,,new,3\n"
    )
    assert quarantined == [
        (3, 'opened_at: BC date "-0044-03-15 12:00:00" is not accepted'),
        (4, 'opened_at: bad timestamp "0044-03-15 12:00:00 BC"'),
    ]


def test_before_1990_is_quarantined(warehouse, write):
    _, quarantined = load_one_bad(warehouse, write, "T2,incident,1989-12-31T23:59:59Z,,new,3\n")
    assert quarantined == [(3, 'opened_at: "1989-12-31T23:59:59Z" is before 1990-01-01, not a plausible date')]


def test_offset_beyond_14_hours_is_quarantined_and_14_hours_loads(warehouse, write):
    _, quarantined = load_one_bad(
        warehouse, write, "T2,incident,2026-03-02T09:00:00+25:00,,new,3\nT3,incident,2026-03-02T09:00:00+14:00,,new,3\n"
    )
    assert quarantined == [(3, 'opened_at: UTC offset beyond +-14:00 in "2026-03-02T09:00:00+25:00"')]
    # 09:00 at +14:00 = 19:00 UTC the day before
    assert warehouse.one("select opened_at from raw.tickets where ticket_id = 'T3'") == datetime(
        2026, 3, 1, 19, 0, tzinfo=UTC
    )


def test_two_digit_year_read_by_a_four_digit_format_is_refused(warehouse, write):
    # ServiceNow dates are d/m/Y H:M: "3/4/26 10:00" would be year 0026, not 2026.
    header = "number,state,opened_at,priority\n"
    _, quarantined = load_one_bad(
        warehouse,
        write,
        "INC001,New,3/4/26 10:00,3 - Moderate\nINC002,New,3/4/2026 10:00,3 - Moderate\n",
        name="incidents.csv",
        header=header,
    )
    assert quarantined == [
        (
            2,
            'opened_at: two-digit year in "3/4/26 10:00" (read as year 0026); two-digit years are not accepted, '
            "export four-digit years",
        )
    ]
    assert warehouse.rows("select ticket_id, opened_at from raw.tickets") == [
        ("INC002", datetime(2026, 4, 3, 10, 0, tzinfo=UTC))
    ]


def test_planned_change_windows_may_lie_after_the_export(warehouse, write):
    path = write(
        "changes.csv",
        "change_id,change_type,requested_at,planned_start,planned_end\n"
        "C1,normal,2026-10-20T09:00:00Z,2026-11-15T20:00:00Z,2026-11-15T22:00:00Z\n",
    )
    write("changes.csv.export.yml", EXPORTED)
    [result] = warehouse.load(path)
    # A plan for the future is not an implausible fact: planned_* are exempt from the export-instant bound.
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
