"""Bad input: row-level problems go to quarantine and the load goes on; file-level problems reject the file whole."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

# Real public exports copied into the repository (tests/data/real/README.md): the tests fail, never skip, without them.
REAL = Path(__file__).resolve().parents[1] / "data" / "real"

HEADER = "ticket_id,ticket_type,opened_at,state,priority\n"


def quarantine(warehouse) -> list[tuple]:
    return warehouse.rows("select line_number, raw_text, reason, target_table from raw.quarantine order by line_number")


def test_row_level_problems_are_quarantined_with_line_raw_text_and_reason(warehouse, write):
    path = write(
        "tickets.csv",
        HEADER
        + "INC1,incident,2026-01-05 09:00:00,new,2\n"  # line 2: good
        + "INC2,incident,2026-02-30 09:00:00,new,2\n"  # line 3: bad date
        + "INC3,incident,,new,2\n"  # line 4: missing required opened_at
        + "INC4,incident,2026-01-05 09:00:00,new,7\n"  # line 5: unknown priority
        + "INC5,incident,2026-01-05 09:00:00,new,2,surplus\n"  # line 6: too many fields
        + "INC6,incident,2026-01-05 09:00:00,new,3\n"  # line 7: good
        + "INC7,incident,2026-01-0\n",  # line 8: truncated line
    )
    [result] = warehouse.load(path)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 7, 2, 5)
    assert quarantine(warehouse) == [
        (3, "INC2,incident,2026-02-30 09:00:00,new,2", 'opened_at: bad timestamp "2026-02-30 09:00:00"', "tickets"),
        (4, 'INC3,incident,"",new,2', "opened_at: required value missing", "tickets"),
        (
            5,
            "INC4,incident,2026-01-05 09:00:00,new,7",
            'priority: value "7" not in allowed set (1, 2, 3, 4)',
            "tickets",
        ),
        (
            6,
            "INC5,incident,2026-01-05 09:00:00,new,2,surplus",
            "malformed line: too many columns (Expected Number of Columns: 5 Found: 6)",
            "tickets",
        ),
        (
            8,
            "INC7,incident,2026-01-0",
            "malformed line: missing columns (Expected Number of Columns: 5 Found: 3)",
            "tickets",
        ),
    ]
    # Good rows keep their record number in the file even though a malformed line came before INC6:
    # INC6 is data record 6 (line 7).
    assert warehouse.rows("select ticket_id, _row_number from raw.tickets order by 1") == [("INC1", 1), ("INC6", 6)]


def test_a_repeated_row_is_quarantined_as_a_duplicate_and_loaded_once(warehouse, write):
    path = write(
        "tickets.csv",
        HEADER
        + "INC1,incident,2026-01-05 09:00:00,new,2\n"  # line 2: loaded
        + "INC2,incident,2026-01-05 10:00:00,new,3\n"  # line 3: loaded
        + "INC1,incident,2026-01-05 09:00:00,new,2\n"  # line 4: same values as line 2 -> quarantine
        + "INC1,incident,2026-01-05 09:00:00,new,1\n",  # line 5: same key, new priority -> a correction, loaded
    )
    [result] = warehouse.load(path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    [(line, raw_text, reason, target)] = quarantine(warehouse)
    assert (line, reason, target) == (4, "duplicate row: every value equals data record 1", "tickets")
    # The repeat's text is rebuilt from its parsed values (equal to record 1's, which is loaded with lineage).
    repeated = json.loads(raw_text)
    assert (repeated["ticket_id"], repeated["priority"], repeated["state"]) == ("INC1", 2, "new")
    assert warehouse.rows("select ticket_id, priority, _row_number from raw.tickets order by 3") == [
        ("INC1", 2, 1),
        ("INC2", 3, 2),
        ("INC1", 1, 4),
    ]


def test_numbers_out_of_range_and_non_numbers(warehouse, write):
    path = write(
        "surveys.csv",
        """
        survey_id,sent_at,csat_score,nps_score
        S1,2026-01-01 10:00:00,5,10
        S2,2026-01-01 10:00:00,0,11
        S3,2026-01-01 10:00:00,four,
        """,
    )
    [result] = warehouse.load(path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert [r[2] for r in quarantine(warehouse)] == [
        'csat_score: "0" below minimum 1; nps_score: "11" above maximum 10',
        'csat_score: not an integer "four"',
    ]


def test_duplicate_file_is_skipped_and_adds_nothing(warehouse, write, tmp_path):
    path = write("tickets.csv", HEADER + "INC1,incident,2026-01-05 09:00:00,new,2\n")
    copy = tmp_path / "renamed_copy.csv"
    copy.write_bytes(path.read_bytes())
    first, second, third = warehouse.load(path, path, copy)
    assert first.status == "loaded"
    assert (second.status, second.load_id) == ("skipped_duplicate", first.load_id)
    assert third.status == "skipped_duplicate"  # same bytes under another name
    assert warehouse.one("select count(*) from raw.tickets") == 1
    assert warehouse.one("select count(*) from raw.load_log") == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty.csv: empty file (0 bytes)"),
        ("blank.csv", b"\n  \r\n", "blank.csv: empty file (only whitespace)"),
        ("feed.xml", b'<?xml version="1.0"?><feed></feed>', "feed.xml: unknown format: looks like XML/HTML"),
        # header = 47 bytes with its newline; "INC1,incident,2026-01-05 09:00:00,new,2 caf" = 43 bytes, so the
        # latin-1 é is column 44 of line 2, byte offset 47 + 43 = 90.
        (
            "latin1.csv",
            HEADER.encode() + "INC1,incident,2026-01-05 09:00:00,new,2 café\n".encode("latin-1"),
            "latin1.csv: unreadable encoding: not valid UTF-8 at line 2, column 44 (byte offset 90, byte 0xe9)",
        ),
        ("utf16.csv", HEADER.encode("utf-16"), "utf16.csv: unreadable encoding: UTF-16"),
        (
            "tickets_no_dates.csv",
            b"ticket_id,ticket_type,state,priority\nINC1,incident,new,2\n",
            "tickets_no_dates.csv: missing required column(s) for tickets: opened_at (source column 'opened_at')",
        ),
        ("mystery.csv", b"alpha,beta\n1,2\n", "mystery.csv: unknown format: the header matches no adapter"),
    ],
)
def test_file_level_problems_reject_the_file_with_a_clear_message(warehouse, write, name, data, message):
    [result] = warehouse.load(write(name, data=data))
    assert result.status == "rejected"
    assert result.error.startswith(message), result.error
    status, error = warehouse.rows("select status, error from raw.load_log")[0]
    assert (status, error) == ("rejected", result.error)
    assert warehouse.one("select count(*) from raw.tickets") == 0
    assert warehouse.one("select count(*) from raw.quarantine") == 0


def test_bad_encoding_deep_in_a_large_file_leaves_nothing_half_loaded(warehouse, write):
    good = "".join(f"INC{i},incident,2026-01-05 09:00:00,new,2\n" for i in range(40_000))  # ~1.5 MB
    data = (HEADER + good).encode() + "INCX,incident,2026-01-05 09:00:00,new,2 caf\xe9\n".encode("latin-1")
    [result] = warehouse.load(write("tickets_big.csv", data=data))
    # header is line 1, 40,000 good lines, so the latin-1 line is line 40,002
    assert result.status == "rejected"
    assert (
        result.error
        == "tickets_big.csv: unreadable encoding: not valid UTF-8 at line 40002; re-export the file as UTF-8"
    )
    assert warehouse.one("select count(*) from raw.tickets") == 0
    assert warehouse.one("select count(*) from raw.quarantine") == 0
    assert warehouse.rows("select status, rows_loaded from raw.load_log") == [("rejected", 0)]


def test_a_rejected_file_does_not_stop_the_others(warehouse, write):
    bad = write("mystery.csv", "alpha,beta\n1,2\n")
    good = write("tickets.csv", HEADER + "INC1,incident,2026-01-05 09:00:00,new,2\n")
    results = warehouse.load(bad, good)
    assert [r.status for r in results] == ["rejected", "loaded"]
    assert warehouse.one("select count(*) from raw.tickets") == 1


def test_header_only_file_loads_zero_rows(warehouse, write):
    [result] = warehouse.load(write("tickets_empty_period.csv", HEADER))
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 0, 0)


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        # BOM, CRLF: the header is read cleanly (no BOM in the first name) and matches no adapter.
        (
            "bpic2013_volvo_incidents_ibm_derived/VINST-new_first100.csv",
            "unknown format: the header matches no adapter (probes, servicenow, jira, canonical); header line 1 was: "
            "SR Number, Change Date+Time, Status",
        ),
        # ';' delimiter with 50 empty trailing columns is split on ';', not ','.
        (
            "bpic2014_rabobank_SAMPLE/Detail_Incident__first16KB_sample.csv",
            "unknown format: the header matches no adapter (probes, servicenow, jira, canonical); header line 1 was: "
            "CI Name (aff), CI Type (aff)",
        ),
        (
            "helpdesk_italian_sw_4tu_minimal/helpdesk_first500.csv",
            "header line 1 was: CaseID, ActivityID, CompleteTimestamp",
        ),
        ("github_status_history/github-status-history.atom", "unknown format: looks like XML/HTML"),
    ],
)
def test_real_exports_of_unsupported_formats_are_rejected_clearly(warehouse, relative, expected):
    path = REAL / relative
    [result] = warehouse.load(path)
    assert result.status == "rejected"
    assert result.error.startswith(f"{path.name}: ")
    assert expected in result.error, result.error


def test_real_downtime_windows_load_as_canonical_outages_with_override_columns(warehouse, tmp_path):
    """GitHub's downtime windows (CRLF, ISO Z stamps) reshaped by SQL into the canonical outage columns."""
    import duckdb

    source = REAL / "github_status_history/downtime_windows.csv"
    target = tmp_path / "outages_github.csv"
    duckdb.sql(
        f"""copy (select 'gh-' || incident_id as outage_id, 'GitHub' as service, downtime_start as started_at,
                         downtime_end as ended_at,
                         case when impact = 'maintenance' then 'planned' else 'unplanned' end as outage_type, title
                  from read_csv('{source}')) to '{target}' (header)"""
    )
    [result] = warehouse.load(target)
    rows = duckdb.execute(f"select count(*) from read_csv('{source}')").fetchall()[0][0]
    assert result.status == "loaded"
    assert result.rows_read == rows == result.rows_loaded + result.rows_quarantined


def test_real_rabobank_incidents_quarantine_priority_5_and_read_in_amsterdam_time(warehouse, tmp_path):
    """BPIC 2014 (Rabobank) incidents reshaped to canonical tickets: its 1-5 scales meet the contract's 1-4."""
    import duckdb

    source = REAL / "bpic2014_rabobank_subset_eventdataR/BPIC14_incident_case_attributes.csv"
    target = tmp_path / "tickets_rabobank.csv"
    duckdb.execute(
        f"""copy (select incident_id as ticket_id, 'incident' as ticket_type, open_time as opened_at,
                         resolved_time as resolved_at, close_time as closed_at, lower(status) as state, priority,
                         impact, urgency, ci_name_aff as ci, category, x_reassignments as reassignment_count,
                         closure_code as close_code
                  from read_csv('{source}')) to '{target}' (header)"""
    )
    [result] = warehouse.load(target, source_timezones={"canonical": "Europe/Amsterdam"})
    # Independent count on the source: 4,000 incidents, 1,484 with a 5 on priority, impact or urgency.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4000, 2516, 1484)
    reasons = dict(warehouse.rows("select reason, count(*) from raw.quarantine group by 1"))
    assert sum(reasons.values()) == 1484
    assert all("5" in reason for reason in reasons)
    # IM0000013 opened 2012-08-10 11:27:59 Amsterdam summer time (UTC+2) -> 09:27:59 UTC
    opened = warehouse.one("select opened_at from raw.tickets where ticket_id = 'IM0000013'")
    assert opened.isoformat() == "2012-08-10T09:27:59+00:00"


def test_line_numbers_stay_physical_when_quoted_fields_span_lines(warehouse, write):
    # Jira-style multi-line descriptions: record numbers and line numbers part ways.
    path = write(
        "tickets_multiline.csv",
        "ticket_id,ticket_type,opened_at,state,priority,description\n"
        'T1,incident,2026-01-05 09:00:00,new,2,"line one\nline two\nline three"\n'  # lines 2-4
        "T2,incident,2026-01-05 09:00:00,new,9,ok\n"  # line 5: unknown priority
        'T3,incident,2026-01-05 09:00:00,new,2,"x\ny",surplus\n'  # lines 6-7: too many fields
        'T4,incident,2026-01-05 09:00:00,new,2,"a\nb"\n'  # lines 8-9
        "T5,incident,2026-13-05 09:00:00,new,2,bad date\n",  # line 10: bad date
    )
    [result] = warehouse.load(path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 2, 3)
    assert [(line, raw.split(",")[0]) for line, raw, _, _ in quarantine(warehouse)] == [
        (5, "T2"),
        (6, "T3"),
        (10, "T5"),
    ]
    # record numbers (lineage) still count records, not lines
    assert warehouse.rows("select ticket_id, _row_number from raw.tickets order by 1") == [("T1", 1), ("T4", 4)]
    assert json.loads(warehouse.one("select _extra::varchar from raw.tickets where ticket_id = 'T1'")) == {
        "description": "line one\nline two\nline three"
    }


BIG = 11 * 1024 * 1024  # one field of 11 MiB: over the 10,000,000-byte line limit


def test_a_line_over_the_size_limit_is_quarantined_and_the_rest_of_the_file_loads(warehouse, write):
    path = write(
        "tickets_long.csv",
        HEADER.rstrip("\n")
        + ",category\n"
        + "INC1,incident,2026-01-05 09:00:00,new,2,a\n"  # line 2
        + f"INC2,incident,2026-01-05 09:00:00,new,2,{'x' * BIG}\n"  # line 3: 11,534,376 bytes with the prefix
        + "INC3,incident,2026-01-05 09:00:00,new,2,c\n",  # line 4
    )
    [result] = warehouse.load(path)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 3, 2, 1)
    [(line, raw_text, reason, target)] = quarantine(warehouse)
    # "INC2,incident,2026-01-05 09:00:00,new,2," is 39 bytes, + 11,534,336 x's + the newline = 11,534,376 bytes.
    assert (line, target) == (3, "tickets")
    assert reason == (
        "line too long: 11534376 bytes, over the limit of 10000000 bytes per line; "
        "raw_text holds only its first 10000 characters"
    )
    assert len(raw_text) == 10000 and raw_text.startswith("INC2,incident,2026-01-05 09:00:00,new,2,xxx")
    assert warehouse.rows("select ticket_id, _row_number from raw.tickets order by 1") == [("INC1", 1), ("INC3", 3)]
    assert warehouse.rows("select rows_read, rows_loaded, rows_quarantined from raw.load_log") == [(3, 2, 1)]


def test_a_json_line_over_the_size_limit_is_quarantined_and_later_lines_keep_their_numbers(warehouse, write):
    ticket = (
        '{{"ticket_id":"{}","ticket_type":"incident","opened_at":"2026-01-05 09:00:00","state":"new","priority":2{}}}'
    )
    path = write(
        "tickets_long.jsonl",
        ticket.format("INC1", "")
        + "\n"  # line 1
        + ticket.format("INC2", f',"category":"{"y" * BIG}"')
        + "\n"  # line 2: too long
        + "[1, 2]\n"  # line 3: JSON, not an object
        + ticket.format("INC4", "")
        + "\n",  # line 4
    )
    [result] = warehouse.load(path)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 4, 2, 2)
    [(line2, raw2, reason2, _), (line3, raw3, reason3, _)] = quarantine(warehouse)
    assert (line2, len(raw2)) == (2, 10000) and raw2.startswith('{"ticket_id":"INC2"')
    assert reason2.startswith("line too long: ") and reason2.endswith("raw_text holds only its first 10000 characters")
    assert (line3, raw3, reason3) == (3, "[1, 2]", "line is JSON but not an object")
    assert warehouse.rows("select ticket_id, _row_number from raw.tickets order by 1") == [("INC1", 1), ("INC4", 4)]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "ticket_id,ticket_type,opened_at,state,priority,priority",
            "repeated column name in the header (line 1): 'priority' is column 5 and column 6",
        ),
        (
            "ticket_id,State,ticket_type,opened_at,state,priority",  # DuckDB matches names case-insensitively
            "repeated column name in the header (line 1): 'state' is column 2 and column 5",
        ),
    ],
)
def test_a_repeated_header_column_rejects_the_file_naming_both_columns(warehouse, write, header, message):
    path = write("tickets_repeated.csv", header + "\nINC1,incident,2026-01-05 09:00:00,new,2,3\n")
    [result] = warehouse.load(path)
    assert result.status == "rejected"
    assert result.error.startswith(f"tickets_repeated.csv: {message}"), result.error
    assert warehouse.one("select count(*) from raw.tickets") == 0


def test_trailing_delimiters_are_not_repeated_names(warehouse, write):
    [result] = warehouse.load(write("tickets_trailing.csv", "ticket_id,ticket_type,opened_at,state,priority,,\n"
                                    "INC1,incident,2026-01-05 09:00:00,new,2,,\n"))  # fmt: skip
    assert (result.status, result.rows_loaded) == ("loaded", 1)


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode(), mtime=0)


def test_a_gzip_csv_loads_like_the_plain_file_with_the_compressed_file_as_lineage(warehouse, write):
    text = (
        HEADER
        + "INC1,incident,2026-01-05 09:00:00,new,2\n"  # line 2
        + "INC2,incident,2026-02-30 09:00:00,new,2\n"  # line 3: bad date
        + "INC3,incident,2026-01-05 09:00:00,new,3\n"
    )
    path = write("tickets.csv.gz", data=gzipped(text))
    [result] = warehouse.load(path)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 3, 2, 1)
    assert [(line, reason) for line, _, reason, _ in quarantine(warehouse)] == [
        (3, 'opened_at: bad timestamp "2026-02-30 09:00:00"')
    ]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()  # of the file as given, not of its text
    assert warehouse.rows("select distinct _source_file, _file_sha256 from raw.tickets") == [(str(path), sha)]
    assert warehouse.rows("select file_sha256 from raw.load_log") == [(sha,)]
    # The same file loaded again is recognised by its bytes.
    assert warehouse.load(path)[0].status == "skipped_duplicate"


def test_a_gzip_json_lines_file_loads(warehouse, write):
    line = '{"ticket_id":"INC1","ticket_type":"incident","opened_at":"2026-01-05 09:00:00","state":"new","priority":2}'
    [result] = warehouse.load(write("tickets.jsonl.gz", data=gzipped(line + "\n")))
    assert (result.status, result.rows_loaded, result.adapter) == ("loaded", 1, "canonical:tickets")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("export.zip", b"PK\x03\x04" + b"\0" * 40, "export.zip: an archive (ZIP or tar): archives are not read"),
        ("tickets.csv", b"PK\x03\x04" + b"\0" * 40, "tickets.csv: an archive (ZIP or tar)"),  # a ZIP by its bytes
        ("exports.tar.gz", gzip.compress(b"\0" * 512, mtime=0), "exports.tar.gz: an archive (ZIP or tar)"),
        ("tickets.xlsx", b"PK\x03\x04" + b"\0" * 40, "tickets.xlsx: a spreadsheet workbook, not an export"),
        ("tickets.csv.bz2", b"BZh91AY&SY", "tickets.csv.bz2: compressed as .bz2, which is not read"),
        ("tickets.csv.gz", gzip.compress(HEADER.encode(), mtime=0)[:-12], "tickets.csv.gz: truncated gzip file"),
        ("tickets.csv.gz", b"\x1f\x8b" + b"\xff" * 30, "tickets.csv.gz: damaged gzip file"),
        ("t.parquet.gz", gzip.compress(b"PAR1" + b"\0" * 20, mtime=0), "t.parquet.gz: a gzip-compressed Parquet file"),
    ],
    ids=["zip", "zip-named-csv", "tar-gz", "xlsx", "bz2", "truncated-gz", "damaged-gz", "gzip-parquet"],
)
def test_archives_and_unread_compressions_are_rejected_by_name(warehouse, write, name, data, message):
    [result] = warehouse.load(write(name, data=data))
    assert result.status == "rejected"
    assert result.error.startswith(message), result.error
    # Recorded by its bytes, so the inbox does not retry it on every run.
    assert warehouse.rows("select status, file_sha256 from raw.load_log") == [
        ("rejected", hashlib.sha256(data).hexdigest())
    ]


def test_the_inbox_skips_nothing_silently(warehouse, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "october").mkdir(parents=True)
    (inbox / "october" / "tickets.csv.gz").write_bytes(gzipped(HEADER + "INC1,incident,2026-01-05 09:00:00,new,2\n"))
    (inbox / "export.zip").write_bytes(b"PK\x03\x04" + b"\0" * 40)
    (inbox / "notes.md").write_text("# what we exported\n")
    (inbox / ".defects.json").write_text("{}")  # hidden files are the only ones left alone
    from pipelines.ingest.loader import ingest_inbox
    from pipelines.settings import Settings

    results = ingest_inbox(warehouse.conn, Settings(warehouse_path=warehouse.path, inbox_dir=inbox))
    assert [(r.path.name, r.status) for r in results] == [
        ("export.zip", "rejected"),
        ("notes.md", "rejected"),
        ("tickets.csv.gz", "loaded"),
    ]
    assert "Unpack it" in results[0].error
    assert results[1].error.startswith("notes.md: unknown format")
    # The next inbox run adds nothing and does not re-log the rejected files.
    again = ingest_inbox(warehouse.conn, Settings(warehouse_path=warehouse.path, inbox_dir=inbox))
    assert {r.status for r in again} == {"skipped_duplicate"}
    assert warehouse.one("select count(*) from raw.load_log") == 3
