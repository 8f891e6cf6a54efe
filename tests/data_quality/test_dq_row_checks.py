"""Each row-level check, fed a table that violates it (right count, right keys) and a clean table (passes).

Runs the project's real suites (data_quality/suites.py) through the real GX pandas route on real DuckDB tables.
"""

from __future__ import annotations

import pytest
from dq_rows import by_name, insert_raw, new_warehouse, ticket, ts

from data_quality.runner import run_table_suite
from data_quality.specs import Severity, Status
from data_quality.suites import RAW_SUITES, STAGING_SUITES

RAW = {s.relation: s for s in RAW_SUITES}
STG = {s.relation: s for s in STAGING_SUITES}


@pytest.fixture
def conn():
    connection = new_warehouse()
    yield connection
    connection.close()


def test_clean_tickets_pass_every_raw_check(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", resolved_at=None, closed_at=None, state="new")])
    insert_raw(conn, "tickets", [ticket("INC1")], load_id=2)  # re-export in a later load is not a duplicate
    results = run_table_suite(conn, RAW["raw.tickets"])
    assert len(results) == len(RAW["raw.tickets"].expectations)
    assert {r.status for r in results} == {Status.PASSED}, [r for r in results if r.status is not Status.PASSED]
    assert all(r.failing_row_count == 0 for r in results)


def test_missing_required_state_fails_with_its_keys(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", state=None), ticket("INC3", state=None)], load_id=4)
    r = by_name(run_table_suite(conn, RAW["raw.tickets"]))["raw_tickets__state__not_null"]
    # INC2 and INC3 lack state -> 2 failing rows, keys ticket_id|_load_id
    assert (r.status, r.failing_row_count, r.failing_keys_sample) == (Status.FAILED, 2, ["INC2|4", "INC3|4"])
    assert r.severity is Severity.BLOCKING
    assert r.observed_value == pytest.approx(200 / 3)  # 2 of 3 rows unexpected = 66.67 %


def test_key_repeated_inside_one_load_is_a_warning(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC1"), ticket("INC2")], load_id=1)
    insert_raw(conn, "tickets", [ticket("INC2")], load_id=2)
    r = by_name(run_table_suite(conn, RAW["raw.tickets"]))["raw_tickets__key_unique_per_load"]
    # both INC1 rows of load 1 are involved -> 2 rows; INC2 once per load is fine
    assert (r.status, r.failing_row_count, r.failing_keys_sample) == (Status.FAILED, 2, ["INC1|1"])
    assert r.severity is Severity.WARNING


def test_priority_outside_its_set_fails(conn):
    insert_raw(conn, "tickets", [ticket("INC1", priority=0), ticket("INC2"), ticket("INC3", priority=7)])
    r = by_name(run_table_suite(conn, RAW["raw.tickets"]))["raw_tickets__priority__in_set"]
    assert (r.status, r.failing_row_count, r.failing_keys_sample) == (Status.FAILED, 2, ["INC1|1", "INC3|1"])


def test_ticket_timestamps_out_of_order_fail_each_pair(conn):
    insert_raw(
        conn,
        "tickets",
        [
            ticket("INC1"),
            ticket("INC2", resolved_at=ts("2025-01-06 08:00")),  # resolved before opened (and closed after)
            ticket("INC3", closed_at=ts("2025-01-06 09:30")),  # closed between opened and resolved
            ticket("INC4", resolved_at=None, closed_at=ts("2025-01-05 00:00")),  # closed before opened
            ticket("INC5", resolved_at=ts("2025-01-06 09:00"), closed_at=None),  # resolved == opened: allowed
        ],
    )
    results = by_name(run_table_suite(conn, RAW["raw.tickets"]))
    opened_resolved = results["raw_tickets__opened_at_before_resolved_at"]
    resolved_closed = results["raw_tickets__resolved_at_before_closed_at"]
    opened_closed = results["raw_tickets__opened_at_before_closed_at"]
    assert (opened_resolved.failing_row_count, opened_resolved.failing_keys_sample) == (1, ["INC2|1"])
    assert (resolved_closed.failing_row_count, resolved_closed.failing_keys_sample) == (1, ["INC3|1"])
    assert (opened_closed.failing_row_count, opened_closed.failing_keys_sample) == (1, ["INC4|1"])
    assert {opened_resolved.status, resolved_closed.status, opened_closed.status} == {Status.FAILED}


def test_outage_must_not_end_before_it_starts_but_may_last_zero_seconds(conn):
    start = ts("2025-02-01 10:00")
    rows = [
        {"outage_id": "O1", "service": "email", "started_at": start, "ended_at": ts("2025-02-01 11:00")},
        {"outage_id": "O2", "service": "email", "started_at": start, "ended_at": start},  # zero length: kept
        {"outage_id": "O3", "service": "email", "started_at": start, "ended_at": ts("2025-02-01 09:00")},
        {"outage_id": "O4", "service": "email", "started_at": start, "ended_at": None},  # still open: not judged
    ]
    insert_raw(conn, "outages", [r | {"outage_type": "unplanned"} for r in rows])
    r = by_name(run_table_suite(conn, RAW["raw.outages"]))["raw_outages__started_at_before_ended_at"]
    assert (r.status, r.failing_row_count, r.failing_keys_sample) == (Status.FAILED, 1, ["O3|1"])


def test_outage_type_and_impact_out_of_range(conn):
    start, end = ts("2025-02-01 10:00"), ts("2025-02-01 11:00")
    base = {"service": "email", "started_at": start, "ended_at": end}
    insert_raw(
        conn,
        "outages",
        [
            base | {"outage_id": "O1", "outage_type": "planned", "impact_pct": 100.0},
            base | {"outage_id": "O2", "outage_type": "blackout", "impact_pct": 50.0},
            base | {"outage_id": "O3", "outage_type": "degradation", "impact_pct": 150.0},
        ],
    )
    results = by_name(run_table_suite(conn, RAW["raw.outages"]))
    assert results["raw_outages__outage_type__in_set"].failing_keys_sample == ["O2|1"]
    assert results["raw_outages__impact_pct__in_range"].failing_keys_sample == ["O3|1"]
    assert results["raw_outages__impact_pct__in_range"].failing_row_count == 1


def test_change_type_close_code_and_planned_window(conn):
    base = {"requested_at": ts("2025-03-01 08:00"), "planned_start": ts("2025-03-02 08:00")}
    insert_raw(
        conn,
        "changes",
        [
            base
            | {
                "change_id": "C1",
                "change_type": "normal",
                "close_code": "successful",
                "planned_end": ts("2025-03-02 09:00"),
            },
            base
            | {
                "change_id": "C2",
                "change_type": "urgent",
                "close_code": "successful",
                "planned_end": ts("2025-03-02 09:00"),
            },
            base
            | {
                "change_id": "C3",
                "change_type": "standard",
                "close_code": "done",
                "planned_end": ts("2025-03-02 07:00"),
            },  # ends before it starts
            base
            | {
                "change_id": "C4",
                "change_type": "emergency",
                "close_code": None,
                "planned_end": ts("2025-03-02 08:00"),
            },  # zero-length window is allowed (<=)
        ],
    )
    results = by_name(run_table_suite(conn, RAW["raw.changes"]))
    assert results["raw_changes__change_type__in_set"].failing_keys_sample == ["C2|1"]
    assert results["raw_changes__close_code__in_set"].failing_keys_sample == ["C3|1"]  # null close code: open change
    window = results["raw_changes__planned_start_before_planned_end"]
    assert (window.status, window.failing_row_count, window.failing_keys_sample) == (Status.FAILED, 1, ["C3|1"])


def test_survey_scores_outside_their_scales(conn):
    sent = ts("2025-04-01 12:00")
    insert_raw(
        conn,
        "surveys",
        [
            {"survey_id": "S1", "sent_at": sent, "csat_score": 5, "nps_score": 10},
            {"survey_id": "S2", "sent_at": sent, "csat_score": 0, "nps_score": 0},
            {"survey_id": "S3", "sent_at": sent, "csat_score": 6, "nps_score": 11},
            {"survey_id": "S4", "sent_at": sent, "csat_score": None, "nps_score": None},  # not answered
        ],
    )
    results = by_name(run_table_suite(conn, RAW["raw.surveys"]))
    csat, nps = results["raw_surveys__csat_score__in_range"], results["raw_surveys__nps_score__in_range"]
    assert (csat.failing_row_count, csat.failing_keys_sample) == (2, ["S2|1", "S3|1"])  # 0 < 1 and 6 > 5
    assert (nps.failing_row_count, nps.failing_keys_sample) == (1, ["S3|1"])  # only 11 > 10


def _staging(conn, rows: list[tuple[str, str | None]]) -> None:
    conn.execute("create schema if not exists reference")
    conn.execute("create table reference.services as select * from (values ('email'), ('erp')) s(service)")
    conn.execute("create schema if not exists staging")
    conn.execute("create table staging.stg_raw__tickets (ticket_id varchar, service varchar)")
    conn.executemany("insert into staging.stg_raw__tickets values (?, ?)", rows)


def test_ticket_service_missing_from_reference_is_a_warning(conn):
    _staging(conn, [("INC1", "email"), ("INC2", "payroll_v2"), ("INC3", None), ("INC4", "erp"), ("INC5", "crm")])
    results = by_name(run_table_suite(conn, STG["staging.stg_raw__tickets"]))
    link = results["stg_tickets__service__in_services"]
    # payroll_v2 and crm are not services; the ticket without a service is not judged
    assert (link.status, link.failing_row_count, link.failing_keys_sample) == (Status.FAILED, 2, ["INC2", "INC5"])
    assert link.severity is Severity.WARNING
    assert results["stg_tickets__key_unique"].status is Status.PASSED


def test_duplicate_key_in_latest_view_blocks(conn):
    _staging(conn, [("INC1", "email"), ("INC1", "email"), ("INC2", "erp")])
    r = by_name(run_table_suite(conn, STG["staging.stg_raw__tickets"]))["stg_tickets__key_unique"]
    assert (r.status, r.failing_row_count, r.failing_keys_sample) == (Status.FAILED, 2, ["INC1"])
    assert r.blocks


def test_reference_not_seeded_is_not_applicable_never_a_pass(conn):
    conn.execute("create schema staging")
    conn.execute("create table staging.stg_raw__tickets as select 'INC1' as ticket_id, 'crm' as service")
    results = by_name(run_table_suite(conn, STG["staging.stg_raw__tickets"]))
    link = results["stg_tickets__service__in_services"]
    assert link.status is Status.NOT_APPLICABLE and link.passed is None
    assert "reference.services" in link.details


def test_relation_not_built_is_not_applicable(conn):
    results = run_table_suite(conn, STG["staging.stg_raw__changes"])
    assert {r.status for r in results} == {Status.NOT_APPLICABLE}


def test_column_missing_from_relation_errors_only_its_own_checks(conn):
    conn.execute("create schema staging")
    conn.execute("create table staging.stg_raw__tickets as select 'INC1' as ticket_id")  # no service column
    conn.execute("create schema reference")
    conn.execute("create table reference.services as select 'email' as service")
    results = by_name(run_table_suite(conn, STG["staging.stg_raw__tickets"]))
    assert results["stg_tickets__service__in_services"].status is Status.ERROR
    assert results["stg_tickets__key_unique"].status is Status.PASSED
