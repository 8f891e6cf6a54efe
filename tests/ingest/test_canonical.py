"""Canonical format as CSV, Parquet and JSON lines: table choice, typing, lineage, unknown columns."""
# ruff: noqa: E501  (fixture export rows are as wide as the exports they imitate)

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb

TICKETS_CSV = """
ticket_id,ticket_type,opened_at,resolved_at,state,priority,impact,service,source_made_sla,site
INC1,incident,2026-01-05 09:00:00,2026-01-05 11:30:00,resolved,2,3,Email,true,Leeds
INC2,request,2026-01-06T10:15:00Z,,in_progress,4,,Payroll,,
"""


def test_canonical_csv_lands_typed_with_lineage_and_extra(warehouse, write):
    path = write("tickets_2026-01.csv", TICKETS_CSV)
    [result] = warehouse.load(path)
    assert (result.status, result.adapter, result.rows_read, result.rows_loaded) == (
        "loaded",
        "canonical:tickets",
        2,
        2,
    )
    rows = warehouse.rows(
        """select ticket_id, opened_at, resolved_at, priority, impact, source_made_sla, _row_number,
                  _source_file, _file_sha256, _load_id, _extra::varchar
           from raw.tickets order by ticket_id"""
    )
    inc1, inc2 = rows
    assert inc1[:7] == (
        "INC1",
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        datetime(2026, 1, 5, 11, 30, tzinfo=UTC),
        2,
        3,
        True,
        1,
    )
    assert inc1[7] == str(path.resolve())
    assert inc1[8] == result.sha256 and len(result.sha256) == 64
    assert inc1[9] == result.load_id
    # `site` is not in the contract: kept, not dropped.
    assert json.loads(inc1[10]) == {"site": "Leeds"}
    assert inc2[1:7] == (datetime(2026, 1, 6, 10, 15, tzinfo=UTC), None, 4, None, None, 2)


def test_table_is_chosen_by_columns_when_the_name_says_nothing(warehouse, write):
    path = write(
        "export_7.csv",
        """
        change_id,change_type,requested_at,close_code
        CHG1,normal,2026-02-01 08:00:00,successful
        """,
    )
    [result] = warehouse.load(path)
    assert result.adapter == "canonical:changes"
    assert warehouse.rows("select change_id, change_type, close_code from raw.changes") == [
        ("CHG1", "normal", "successful")
    ]


def test_ticket_events_prefix_is_not_read_as_tickets(warehouse, write):
    path = write(
        "ticket_events_jan.csv",
        """
        ticket_id,event_at,field,from_value,to_value,actor
        INC1,2026-01-05 09:10:00,state,new,in_progress,alice
        """,
    )
    [result] = warehouse.load(path)
    assert result.tables == {"ticket_events": 1}


def test_canonical_parquet(warehouse, tmp_path):
    path = tmp_path / "surveys.parquet"
    duckdb.sql(
        f"""copy (select 'S1' as survey_id, 'INC1' as ticket_id, timestamp '2026-01-07 12:00' as sent_at,
                         timestamptz '2026-01-08 09:00:00+00' as responded_at, 4 as csat_score, 9 as nps_score,
                         'quick' as comment) to '{path}' (format parquet)"""
    )
    [result] = warehouse.load(path)
    assert (result.status, result.adapter, result.rows_loaded) == ("loaded", "canonical:surveys", 1)
    assert warehouse.rows(
        "select survey_id, sent_at, responded_at, csat_score, nps_score, _row_number from raw.surveys"
    ) == [("S1", datetime(2026, 1, 7, 12, 0, tzinfo=UTC), datetime(2026, 1, 8, 9, 0, tzinfo=UTC), 4, 9, 1)]


def test_canonical_jsonl_with_blank_line_and_nested_unknown_field(warehouse, write):
    path = write(
        "outages.jsonl",
        """
        {"outage_id": "O1", "service": "Email", "started_at": "2026-01-10T08:00:00+01:00", "ended_at": "2026-01-10T09:30:00+01:00", "outage_type": "unplanned", "impact_pct": 100, "probe": {"region": "eu"}}

        {"outage_id": "O2", "service": "Email", "started_at": "2026-01-11T08:00:00Z", "outage_type": "degradation", "impact_pct": 50}
        """,
    )
    [result] = warehouse.load(path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)
    rows = warehouse.rows(
        "select outage_id, started_at, ended_at, impact_pct, _row_number, _extra::varchar from raw.outages order by 1"
    )
    # 08:00+01:00 is 07:00 UTC; JSON lines are numbered by physical line, so O2 (after a blank line) is 3.
    assert rows[0][:5] == (
        "O1",
        datetime(2026, 1, 10, 7, 0, tzinfo=UTC),
        datetime(2026, 1, 10, 8, 30, tzinfo=UTC),
        100.0,
        1,
    )
    assert json.loads(json.loads(rows[0][5])["probe"]) == {"region": "eu"}
    assert rows[1][:5] == ("O2", datetime(2026, 1, 11, 8, 0, tzinfo=UTC), None, 50.0, 3)


def test_semicolon_delimited_canonical_csv_with_bom_and_crlf(warehouse, write):
    text = "\ufeffsurvey_id;ticket_id;sent_at;csat_score\r\nS9;INC1;2026-01-07 12:00:00;5\r\nS10;INC2;2026-01-07 13:00:00;3"
    path = write("surveys_eu.csv", data=text.encode("utf-8"))
    [result] = warehouse.load(path)
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    assert warehouse.rows("select survey_id, csat_score from raw.surveys order by 1") == [("S10", 3), ("S9", 5)]
