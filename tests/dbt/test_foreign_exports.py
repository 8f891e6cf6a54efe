"""Exports we did not generate: tickets from before the shipped policies' versions, without a service, with the
tool's own counters, and with histories that start mid-life. One dbt build shared by every case here.

Reference data used (dbt_project/seeds): service `email` -> support calendar uk_business, Mon-Fri 09:00-17:30
Europe/London (GMT = UTC in January-March); incident P3: response 240 min, resolution 1530 min on the service
calendar, pausing in on_hold / awaiting_customer; P1: 24x7, response 15 min, resolution 240 min. The shipped
policies are versions from 2025-01-01 (P2 resolution 360 min from 2026-05-01) plus an open-ended default per
ticket type, priority and metric valid from 1900-01-01. All times UTC. The run's as_of is var as_of.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kpi_raw_rows import insert_rows, new_warehouse, query, sla_row, state_event, ticket_row

AS_OF = "2026-03-06 12:00:00+00"
H = 3600

MARTS = "+fct_ticket_sla +fct_incident +kpi_ticket_counter_reconciliation +dq_unclassified_tickets"


TICKETS = [
    # Opened in 2016, long before the 2025 versions: Tue 2016-03-01 10:00 -> 14:00 (GMT), all inside 09:00-17:30.
    ticket_row("OLD_2016", "2016-03-01 10:00Z", resolved_at="2016-03-01 14:00Z", first_response_at="2016-03-01 10:30Z"),
    # Opened in the demo's period: the 2025 version still wins.
    ticket_row("NEW_2026", "2026-01-14 10:00Z", resolved_at="2026-01-14 14:30Z"),
    # P2 opened after 2026-05-01: version 2 (360 min) wins over version 1 and the default.
    ticket_row("P2_V2", "2026-05-05 10:00Z", resolved_at="2026-05-05 11:00Z", priority=2),
]

# February 2026: reopens and reassignments from the ticket's own history against the export's counters.
COUNTER_TICKETS = [
    # A priority no policy covers (a user's own policies may leave any out): its reopen still counts.
    ticket_row("H_REOPEN_NO_POLICY", "2026-02-02 09:00Z", resolved_at="2026-02-03 10:00Z", priority=5),
    # The export counts a reopen and two reassignments the snapshot log never saw.
    ticket_row("SRC_MORE", "2026-02-04 09:00Z", resolved_at="2026-02-04 12:00Z", reopen_count=1, reassignment_count=2),
    # The log shows a move G1 -> G2 the export's counter does not.
    ticket_row("HIST_MORE", "2026-02-05 09:00Z", resolved_at="2026-02-05 12:00Z", reopen_count=0, reassignment_count=0),
    # Neither shows anything: first-contact resolution.
    ticket_row("FCR_CLEAN", "2026-02-06 09:00Z", resolved_at="2026-02-06 10:00Z", reopen_count=0, reassignment_count=0),
]
TICKETS += COUNTER_TICKETS

# January 2026: snapshot logs that start mid-life (the first state event's from_value is the first known state;
# a snapshot log yields no event for its first snapshot).
MID_LIFE_TICKETS = [
    # First seen resolved; reopened Mon 01-26 10:00, resolved again 12:00 (the export's resolved_at).
    ticket_row("FIRST_RESOLVED_REOPENED", "2026-01-19 09:00Z", resolved_at="2026-01-26 12:00Z"),
    # First seen on hold; back in progress 14:00, resolved 15:00.
    ticket_row("FIRST_ON_HOLD", "2026-01-12 09:00Z", resolved_at="2026-01-12 15:00Z"),
    # First (and only) snapshot closed: no state event at all.
    ticket_row(
        "FIRST_CLOSED_UNCHANGED",
        "2026-01-13 09:00Z",
        resolved_at="2026-01-13 11:00Z",
        closed_at="2026-01-14 09:00Z",
        state="closed",
    ),
]
TICKETS += MID_LIFE_TICKETS

# December 2025: tickets that cannot be fully classified (marts.dq_unclassified_tickets).
UNCLASSIFIED_TICKETS = [
    ticket_row("NO_SERVICE", "2025-12-01 10:00Z", resolved_at="2025-12-01 11:00Z", service=None),
    ticket_row("UNKNOWN_SVC", "2025-12-02 10:00Z", resolved_at="2025-12-02 11:00Z", service="legacy_billing"),
    # before var calendar_start_date (1990-01-01; ingest quarantines such dates, a hand-written raw row does not):
    # no business time, so no SLA clock rather than null business seconds
    ticket_row("BEFORE_CALENDARS", "1985-05-02 10:00Z", resolved_at="1985-05-02 12:00Z"),
]
TICKETS += UNCLASSIFIED_TICKETS

EVENTS: list[dict[str, object]] = [
    state_event("H_REOPEN_NO_POLICY", "2026-02-02 09:30Z", "new", "in_progress"),
    state_event("H_REOPEN_NO_POLICY", "2026-02-02 12:00Z", "in_progress", "resolved"),
    state_event("H_REOPEN_NO_POLICY", "2026-02-03 09:00Z", "resolved", "in_progress"),
    state_event("H_REOPEN_NO_POLICY", "2026-02-03 10:00Z", "in_progress", "resolved"),
    state_event("FIRST_RESOLVED_REOPENED", "2026-01-26 10:00Z", "resolved", "in_progress"),
    state_event("FIRST_RESOLVED_REOPENED", "2026-01-26 12:00Z", "in_progress", "resolved"),
    state_event("FIRST_ON_HOLD", "2026-01-12 14:00Z", "on_hold", "in_progress"),
    state_event("FIRST_ON_HOLD", "2026-01-12 15:00Z", "in_progress", "resolved"),
    state_event("SRC_MORE", "2026-02-04 09:30Z", "new", "in_progress"),
    state_event("SRC_MORE", "2026-02-04 12:00Z", "in_progress", "resolved"),
    {"ticket_id": "HIST_MORE", "event_at": "2026-02-05 09:10Z", "field": "assignment_group", "to_value": "G1"},
    {
        "ticket_id": "HIST_MORE",
        "event_at": "2026-02-05 10:00Z",
        "field": "assignment_group",
        "from_value": "G1",
        "to_value": "G2",
    },
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Path:
    work = tmp_path_factory.mktemp("foreign")
    path = new_warehouse(work / "itsm.duckdb")
    insert_rows(path, "tickets", TICKETS)
    insert_rows(path, "ticket_events", EVENTS)
    dbt(["build", "--select", *MARTS.split(), "--indirect-selection", "cautious"], path, work, vars_={"as_of": AS_OF})
    return path


def test_ticket_opened_before_the_versions_gets_the_default_policy(warehouse: Path) -> None:
    resolution = sla_row(warehouse, "OLD_2016")
    assert resolution["policy_id"] == "INC-P3-RES-default"
    assert resolution["elapsed_business_seconds"] == 4 * H  # 10:00 -> 14:00 on a Tuesday
    assert resolution["sla_state"] == "met"  # 4 h < 1530 min
    response = sla_row(warehouse, "OLD_2016", "response")
    assert response["policy_id"] == "INC-P3-RESP-default"
    assert response["elapsed_business_seconds"] == 30 * 60  # 10:00 -> 10:30


def test_versions_still_win_inside_their_period(warehouse: Path) -> None:
    assert sla_row(warehouse, "NEW_2026")["policy_id"] == "INC-P3-RES-v1"
    assert sla_row(warehouse, "NEW_2026", "response")["policy_id"] == "INC-P3-RESP-v1"
    p2 = sla_row(warehouse, "P2_V2")
    assert p2["policy_id"] == "INC-P2-RES-v2"
    assert p2["target_seconds"] == 360 * 60


def _incident(warehouse: Path, ticket_id: str) -> dict[str, object]:
    (row,) = query(warehouse, f"select * from marts.fct_incident where ticket_id = '{ticket_id}'")
    return row


def test_reopen_counts_from_history_without_any_sla_policy(warehouse: Path) -> None:
    assert query(warehouse, "select * from marts.fct_ticket_sla where ticket_id = 'H_REOPEN_NO_POLICY'") == []
    row = _incident(warehouse, "H_REOPEN_NO_POLICY")
    # resolved 02-02 12:00, back in progress 02-03 09:00: one reopen, whatever the SLA policies say
    assert (row["reopens_from_history"], row["reopens_from_source"], row["reopens"]) == (1, None, 1)
    assert row["is_first_contact_resolution"] is False


def test_the_larger_of_history_and_source_counters_is_used(warehouse: Path) -> None:
    src = _incident(warehouse, "SRC_MORE")
    assert (src["reopens_from_history"], src["reopens_from_source"], src["reopens"]) == (0, 1, 1)
    assert (src["reassignments_from_history"], src["reassignments_from_source"], src["reassignments"]) == (0, 2, 2)
    assert src["is_first_contact_resolution"] is False
    hist = _incident(warehouse, "HIST_MORE")
    # G1 -> G2 is one reassignment (the first assignment to G1 is not)
    assert (hist["reassignments_from_history"], hist["reassignments_from_source"], hist["reassignments"]) == (1, 0, 1)
    assert hist["is_first_contact_resolution"] is False
    assert _incident(warehouse, "FCR_CLEAN")["is_first_contact_resolution"] is True


def test_counter_reconciliation_per_month(warehouse: Path) -> None:
    (row,) = query(warehouse, "select * from marts.kpi_ticket_counter_reconciliation where month = '2026-02-01'")
    assert row["incidents"] == 4
    assert row["incidents_with_source_counters"] == 3  # all but H_REOPEN_NO_POLICY
    assert (row["reopens_from_history"], row["reopens_from_source"]) == (1, 1)  # H_REOPEN_NO_POLICY; SRC_MORE
    assert (row["reassignments_from_history"], row["reassignments_from_source"]) == (1, 2)  # HIST_MORE; SRC_MORE
    assert row["incidents_source_above_history"] == 1  # SRC_MORE
    assert row["incidents_history_above_source"] == 1  # HIST_MORE (no counter is no comparison)
    # all 4 resolved. Reopened: history H_REOPEN_NO_POLICY = 1/4; source view (history where no counter)
    # H_REOPEN_NO_POLICY + SRC_MORE = 2/4; used (larger per ticket) the same 2/4
    assert row["reopen_pct_from_history"] == pytest.approx(25.0)
    assert row["reopen_pct_from_source"] == pytest.approx(50.0)
    assert row["reopen_pct"] == pytest.approx(50.0)
    # FCR: history SRC_MORE + FCR_CLEAN = 2/4; source HIST_MORE + FCR_CLEAN = 2/4; used FCR_CLEAN only = 1/4
    assert row["fcr_pct_from_history"] == pytest.approx(50.0)
    assert row["fcr_pct_from_source"] == pytest.approx(50.0)
    assert row["fcr_pct"] == pytest.approx(25.0)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_first_seen_resolved_then_reopened_stops_cycle_one_where_it_was_first_seen(warehouse: Path) -> None:
    cycle_1 = sla_row(warehouse, "FIRST_RESOLVED_REOPENED")
    # resolved before anything else is known: cycle 1 stops at the start of that first stretch (the opening),
    # not at the as_of 2026-03-06 (which would be ~33 UK business days, breached)
    assert cycle_1["stopped_at"] == _utc("2026-01-19 09:00")
    assert cycle_1["elapsed_business_seconds"] == 0 and cycle_1["sla_state"] == "met"
    cycle_2 = sla_row(warehouse, "FIRST_RESOLVED_REOPENED", cycle_no=2)
    assert cycle_2["started_at"] == _utc("2026-01-26 10:00")
    assert cycle_2["elapsed_business_seconds"] == 2 * H  # Mon 10:00 -> 12:00
    # already picked up when first seen: the response clock stops there, not at the reopen a week later
    assert sla_row(warehouse, "FIRST_RESOLVED_REOPENED", "response")["stopped_at"] == _utc("2026-01-19 09:00")
    assert _incident(warehouse, "FIRST_RESOLVED_REOPENED")["reopens"] == 1


def test_first_seen_on_hold_is_paused_from_the_opening(warehouse: Path) -> None:
    resolution = sla_row(warehouse, "FIRST_ON_HOLD")
    # on hold 09:00-14:00 (paused), in progress 14:00-15:00: 1 h counted, 5 h paused
    assert resolution["elapsed_business_seconds"] == 1 * H
    assert resolution["paused_business_seconds"] == 5 * H
    response = sla_row(warehouse, "FIRST_ON_HOLD", "response")
    # on hold when first seen: someone had it already; the response stops at the opening, not at 14:00
    assert response["stopped_at"] == _utc("2026-01-12 09:00")
    assert response["elapsed_business_seconds"] == 0


def test_first_seen_closed_and_never_changed_stops_at_its_resolution(warehouse: Path) -> None:
    (cycle,) = query(
        warehouse,
        "select * from marts.fct_ticket_sla where ticket_id = 'FIRST_CLOSED_UNCHANGED' and metric = 'resolution'",
    )
    assert cycle["stopped_at"] == _utc("2026-01-13 11:00")  # the export's resolved_at
    assert cycle["elapsed_business_seconds"] == 2 * H  # Tue 09:00 -> 11:00
    assert _incident(warehouse, "FIRST_CLOSED_UNCHANGED")["reopens"] == 0


def test_unclassified_tickets_are_counted_per_reason_with_samples(warehouse: Path) -> None:
    rows = query(warehouse, "select reason, ticket_count, sample_ticket_ids from marts.dq_unclassified_tickets")
    assert {r["reason"]: (r["ticket_count"], r["sample_ticket_ids"]) for r in rows} == {
        "no_service": (1, "NO_SERVICE"),
        "unknown_service": (1, "UNKNOWN_SVC"),
        "no_sla_policy": (1, "H_REOPEN_NO_POLICY"),  # priority 5: no policy of any date
        "no_calendar": (1, "BEFORE_CALENDARS"),
        # first known state on hold / resolved; FIRST_CLOSED_UNCHANGED has no state event, so nothing is known
        "history_starts_mid_life": (2, "FIRST_ON_HOLD, FIRST_RESOLVED_REOPENED"),
    }


def test_unclassified_summary_and_warning_check_read_the_same_counts(warehouse: Path) -> None:
    import duckdb

    from data_quality.specs import Severity, Status
    from data_quality.suites import UNCLASSIFIED
    from data_quality.unclassified import check_unclassified, unclassified_summary

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        lines = unclassified_summary(conn)
        result = check_unclassified(conn, UNCLASSIFIED)
    # largest count first, then by reason
    assert lines == [
        "2 tickets had a history starting mid-life (first known state resolved, closed, cancelled or paused) "
        "(e.g. FIRST_ON_HOLD, FIRST_RESOLVED_REOPENED)",
        "1 ticket had no usable business calendar (unknown calendar, or opened outside the calendar date range) "
        "(e.g. BEFORE_CALENDARS)",
        "1 ticket named no service (counted under the unassigned service) (e.g. NO_SERVICE)",
        "1 ticket matched no SLA policy (no SLA clock) (e.g. H_REOPEN_NO_POLICY)",
        "1 ticket named a service missing from seeds/services.csv (default support calendar used) (e.g. UNKNOWN_SVC)",
    ]
    # 2 + 1 + 1 + 1 + 1 flags
    assert (result.status, result.severity, result.observed_value) == (Status.FAILED, Severity.WARNING, 6.0)
    assert "no_sla_policy: H_REOPEN_NO_POLICY" in result.failing_keys_sample
    assert "1 ticket matched no SLA policy (no SLA clock) (e.g. H_REOPEN_NO_POLICY)" in result.details


def test_a_ticket_outside_the_calendars_gets_no_clock_instead_of_null_business_time(warehouse: Path) -> None:
    assert query(warehouse, "select * from marts.fct_ticket_sla where ticket_id = 'BEFORE_CALENDARS'") == []
    # its resolution still counts: 2 calendar hours, business hours unknown
    row = _incident(warehouse, "BEFORE_CALENDARS")
    assert row["resolve_calendar_hours"] == 2.0 and row["resolve_business_hours"] is None
