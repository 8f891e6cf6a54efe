"""Where failing rows sit and how records are numbered: first, middle and last rows, carriage-return line ends,
repeats next to malformed lines, JSON lines and Parquet, and a file large enough for DuckDB to read it in
parallel pieces (record numbers come from the order the checked rows were stored in, see
loader._number_records). Every case checks that nothing is dropped: read = loaded + quarantined.
"""

from __future__ import annotations

import json

import duckdb

from tests.ingest.test_reconciliation import check_reconciles

HEADER = "ticket_id,ticket_type,opened_at,state,priority"
GOOD = "{},incident,2026-01-05 09:00:00,new,2"


def quarantined(warehouse) -> list[tuple]:
    return warehouse.rows("select line_number, split_part(raw_text, ',', 1), reason from raw.quarantine order by 1")


def test_failing_rows_first_in_the_middle_and_last_are_all_quarantined(warehouse, write):
    rows = [
        "T1,incident,2026-01-05 09:00:00,new,9",  # record 1 (line 2): unknown priority
        GOOD.format("T2"),
        GOOD.format("T3"),
        "T4,incident,not a date,new,2",  # record 4 (line 5): bad date
        GOOD.format("T5"),
        "T6,,2026-01-05 09:00:00,new,2",  # record 6 (line 7): missing type
        "T7,incident,2026-01-05 09:00:00,nowhere,2",  # record 7 (line 8): unknown state, last line
    ]
    [result] = warehouse.load(write("tickets.csv", "\n".join([HEADER, *rows]) + "\n"))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 3, 4)
    check_reconciles(warehouse.conn, result)
    assert [(line, ticket) for line, ticket, _ in quarantined(warehouse)] == [
        (2, "T1"),
        (5, "T4"),
        (7, "T6"),
        (8, "T7"),
    ]
    # file order, no ORDER BY: the raw rows come back as they were in the file
    assert warehouse.rows("select ticket_id, _row_number from raw.tickets") == [("T2", 2), ("T3", 3), ("T5", 5)]


def test_every_row_failing_in_a_file_with_carriage_return_line_ends(warehouse, write):
    # Old Mac line ends: one physical line by "\n", yet DuckDB reads three records. The line count cannot vouch
    # that nothing failed, so the skipped records are read again.
    data = "\r".join([HEADER, "T1,incident,2026-01-05 09:00:00,new,9", "T2,incident,bad,new,2"]) + "\r"
    [result] = warehouse.load(write("tickets.csv", data=data.encode()))
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 0, 2)
    check_reconciles(warehouse.conn, result)
    assert [ticket for _, ticket, _ in quarantined(warehouse)] == ["T1", "T2"]


def test_repeat_failing_row_and_malformed_line_together(warehouse, write):
    rows = [
        GOOD.format("T1"),  # record 1, line 2
        "T2,incident,2026-01-05",  # line 3: truncated (a reader reject, record 2)
        GOOD.format("T1"),  # record 3, line 4: repeats record 1
        "T3,incident,2026-01-05 09:00:00,new,0",  # record 4, line 5: unknown priority
        GOOD.format("T4"),  # record 5, line 6
    ]
    [result] = warehouse.load(write("tickets.csv", "\n".join([HEADER, *rows]) + "\n"))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 2, 3)
    check_reconciles(warehouse.conn, result)
    assert quarantined(warehouse) == [
        (3, "T2", "malformed line: missing columns (Expected Number of Columns: 5 Found: 3)"),
        (4, '{"ticket_id":"T1"', "duplicate row: every value equals data record 1"),
        (5, "T3", 'priority: value "0" not in allowed set (1, 2, 3, 4)'),
    ]
    assert warehouse.rows("select ticket_id, _row_number from raw.tickets") == [("T1", 1), ("T4", 5)]


def test_clean_file_without_a_final_newline_loads_every_row(warehouse, write):
    # 1 header + 5 records, the last line unterminated: still 6 lines, so the line count accounts for every row
    [result] = warehouse.load(write("tickets.csv", "\n".join([HEADER, *(GOOD.format(f"T{n}") for n in range(5))])))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 5, 0)
    check_reconciles(warehouse.conn, result)
    assert warehouse.rows("select ticket_id from raw.tickets") == [(f"T{n}",) for n in range(5)]


def test_json_lines_failing_last_line(warehouse, write):
    lines = [
        json.dumps(
            {
                "ticket_id": "J1",
                "ticket_type": "incident",
                "opened_at": "2026-01-05T09:00:00Z",
                "state": "new",
                "priority": "2",
            }
        ),
        json.dumps(
            {
                "ticket_id": "J2",
                "ticket_type": "incident",
                "opened_at": "2026-01-05T09:00:00Z",
                "state": "new",
                "priority": "6",
            }
        ),
    ]
    [result] = warehouse.load(write("tickets.jsonl", "\n".join(lines) + "\n"))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    check_reconciles(warehouse.conn, result)
    assert [(line, reason) for line, _, reason in quarantined(warehouse)] == [
        (2, 'priority: value "6" not in allowed set (1, 2, 3, 4)')
    ]


def test_parquet_failing_first_and_last_rows(warehouse, write, tmp_path):
    path = tmp_path / "tickets.parquet"
    with duckdb.connect() as conn:
        conn.execute(
            f"""COPY (SELECT * FROM (VALUES
                    ('P1', 'incident', '2026-01-05 09:00:00', 'new', '5'),
                    ('P2', 'incident', '2026-01-05 09:00:00', 'new', '2'),
                    ('P3', 'nothing', '2026-01-05 09:00:00', 'new', '2'))
                AS t(ticket_id, ticket_type, opened_at, state, priority)) TO '{path}' (FORMAT parquet)"""
        )
    [result] = warehouse.load(path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    check_reconciles(warehouse.conn, result)
    # Parquet has no lines: the row index (1-based) stands in
    assert [line for line, _, _ in quarantined(warehouse)] == [1, 3]
    assert warehouse.rows("select ticket_id, _row_number from raw.tickets") == [("P2", 2)]


def test_record_numbers_follow_the_file_when_it_is_read_in_parallel_pieces(warehouse, tmp_path):
    # 400,000 records (about 20 MB): DuckDB's CSV reader hands out pieces of about 8 MB to its threads. Every
    # 50,000th record has an unknown priority and a malformed line sits after record 250,000.
    path = tmp_path / "tickets.csv"
    warehouse.conn.execute("SET threads = 2")
    warehouse.conn.execute(
        f"""COPY (SELECT 'T' || i AS ticket_id, 'incident' AS ticket_type, '2026-01-05 09:00:00' AS opened_at,
                         'new' AS state, CASE WHEN i % 50000 = 0 THEN '9' ELSE '2' END AS priority
                  FROM range(1, 400001) AS r(i)) TO '{path}' (HEADER)"""
    )
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(250001, "T-cut,incident\n")  # lines[k] is line k + 1: after T250000 (line 250,001), as 250,002
    path.write_text("".join(lines))

    [result] = warehouse.load(path)
    # 400,001 records read: 400,000 - 8 loaded, 8 unknown priorities + 1 malformed line quarantined
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (400001, 399992, 9)
    check_reconciles(warehouse.conn, result)
    # T<i> is record i up to 250,000 and record i + 1 after the malformed line (record 250,001)
    wrong = warehouse.one(
        """select count(*) from raw.tickets
           where _row_number <> cast(ticket_id[2:] as bigint) + (cast(ticket_id[2:] as bigint) > 250000)::int"""
    )
    assert wrong == 0
    # file order without ORDER BY
    assert (
        warehouse.one(
            "select count(*) from (select _row_number, lag(_row_number) over () as previous from raw.tickets) "
            "where _row_number < previous"
        )
        == 0
    )
    # line = record + 1: T50000 on line 50,001, ..., T300000 (record 300,001) on line 300,002
    assert [line for line, _, _ in quarantined(warehouse)] == [
        50001,
        100001,
        150001,
        200001,
        250001,
        250002,
        300002,
        350002,
        400002,
    ]


def test_loading_keeps_the_connections_insertion_order_setting(warehouse, write):
    # Record numbers need insertion order kept; the loader turns it on for its loads and puts it back after.
    warehouse.conn.execute("SET preserve_insertion_order = false")
    good = write("tickets.csv", "\n".join([HEADER, GOOD.format("T1"), "T2,incident,bad,new,2", GOOD.format("T3")]))
    rejected = write("tickets_bad.csv", "ticket_id,state\nT3,new\n")  # required columns missing
    results = warehouse.load(good, rejected)
    assert [r.status for r in results] == ["loaded", "rejected"]
    assert warehouse.rows("select ticket_id, _row_number from raw.tickets order by 2") == [("T1", 1), ("T3", 3)]
    assert warehouse.one("select current_setting('preserve_insertion_order')") is False
