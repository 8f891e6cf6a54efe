"""Change KPIs on a tiny hand-built change log: one dbt build shared by every case in this module.

Group under test: service erp, normal changes, assignment group CAB, March 2026 (UTC):

| change | close code             | approval                | links                                   |
|--------|------------------------|-------------------------|-----------------------------------------|
| C1     | successful             | approved before start   | none                                    |
| C2     | successful_with_issues | approved before start   | two incidents (P1, P2)                  |
| C3     | backed_out             | approved AFTER start    | none                                    |
| C4     | cancelled              | approved, never started | none                                    |
| C5     | unsuccessful           | never approved          | unplanned outage 2 h + degradation 1 h at 50 % |
| C8     | successful             | approved before start   | an incident during its window, NOT linked |
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kpi_raw_rows import dbt_build_output, insert_rows, new_warehouse, query

CHANGE_DEFAULTS = {"service": "erp", "assignment_group": "CAB", "change_type": "normal", "risk": "moderate"}


def _change(change_id: str, **fields: object) -> dict[str, object]:
    return {"change_id": change_id, **CHANGE_DEFAULTS, **fields}


CHANGES = [
    _change(
        "C1",
        requested_at="2026-03-01 00:00Z",
        approved_at="2026-03-02 00:00Z",
        planned_start="2026-03-02 20:00Z",
        planned_end="2026-03-03 02:00Z",
        actual_start="2026-03-02 20:00Z",
        actual_end="2026-03-03 00:00Z",
        close_code="successful",
        state="closed",
    ),
    _change(
        "C2",
        requested_at="2026-03-02 00:00Z",
        approved_at="2026-03-02 06:00Z",
        planned_start="2026-03-03 08:00Z",
        planned_end="2026-03-03 10:00Z",
        actual_start="2026-03-03 08:00Z",
        actual_end="2026-03-03 12:00Z",
        close_code="successful_with_issues",
        state="closed",
    ),
    _change(
        "C3",
        requested_at="2026-03-05 00:00Z",
        approved_at="2026-03-05 09:00Z",
        planned_start="2026-03-05 10:00Z",
        planned_end="2026-03-05 12:00Z",
        actual_start="2026-03-05 08:00Z",
        actual_end="2026-03-05 12:00Z",
        close_code="backed_out",
        state="closed",
    ),
    _change(
        "C4",
        requested_at="2026-03-05 00:00Z",
        approved_at="2026-03-05 01:00Z",
        planned_start="2026-03-20 10:00Z",
        planned_end="2026-03-20 12:00Z",
        close_code="cancelled",
        state="cancelled",
    ),
    _change(
        "C5",
        requested_at="2026-03-06 00:00Z",
        planned_start="2026-03-06 20:00Z",
        planned_end="2026-03-06 22:00Z",
        actual_start="2026-03-06 20:00Z",
        actual_end="2026-03-07 00:00Z",
        close_code="unsuccessful",
        state="closed",
    ),
    _change(
        "C8",
        requested_at="2026-03-10 00:00Z",
        approved_at="2026-03-10 01:00Z",
        planned_start="2026-03-10 02:00Z",
        planned_end="2026-03-10 06:00Z",
        actual_start="2026-03-10 02:00Z",
        actual_end="2026-03-10 06:00Z",
        close_code="successful",
        state="closed",
    ),
    # Standard change: pre-authorized by its model, no approval timestamp -> authorized.
    _change(
        "C7",
        change_type="standard",
        requested_at="2026-03-11 00:00Z",
        actual_start="2026-03-11 01:00Z",
        actual_end="2026-03-11 02:00Z",
        close_code="successful",
        state="closed",
    ),
    # Emergency change approved retroactively (started 1 h before approval) -> unauthorized by definition.
    _change(
        "C6",
        change_type="emergency",
        requested_at="2026-03-12 00:00Z",
        approved_at="2026-03-12 02:00Z",
        actual_start="2026-03-12 01:00Z",
        actual_end="2026-03-12 03:00Z",
        close_code="successful",
        state="closed",
    ),
    # Finishes after midnight UTC on 1 April -> reported in April, not March.
    _change(
        "C9",
        requested_at="2026-03-30 00:00Z",
        approved_at="2026-03-30 01:00Z",
        actual_start="2026-03-31 23:00Z",
        actual_end="2026-04-01 00:30Z",
        close_code="successful",
        state="closed",
    ),
]


def _incident(ticket_id: str, priority: int, caused_by_change: str | None, ticket_type: str = "incident") -> dict:
    return {
        "ticket_id": ticket_id,
        "ticket_type": ticket_type,
        "opened_at": "2026-03-03 13:00Z",
        "state": "resolved",
        "priority": priority,
        "service": "erp",
        "caused_by_change": caused_by_change,
    }


TICKETS = [
    _incident("INC1", 1, "C2"),
    _incident("INC2", 2, "C2"),
    # Opened during C8's window, but nobody linked it: timing is not causation.
    {**_incident("INC3", 3, None), "opened_at": "2026-03-10 03:00Z"},
    # A request that names a change is not an incident caused by it.
    _incident("REQ1", 4, "C1", ticket_type="request"),
]

OUTAGES = [
    {
        "outage_id": "O1",
        "service": "erp",
        "started_at": "2026-03-06 21:00Z",
        "ended_at": "2026-03-06 23:00Z",
        "outage_type": "unplanned",
        "change_id": "C5",
    },
    {
        "outage_id": "O2",
        "service": "erp",
        "started_at": "2026-03-06 23:00Z",
        "ended_at": "2026-03-07 00:00Z",
        "outage_type": "degradation",
        "impact_pct": 50,
        "change_id": "C5",
    },
    # C1's own maintenance window: planned, so it is no evidence of failure.
    {
        "outage_id": "O3",
        "service": "erp",
        "started_at": "2026-03-02 20:00Z",
        "ended_at": "2026-03-03 00:00Z",
        "outage_type": "planned",
        "change_id": "C1",
    },
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Path:
    work = tmp_path_factory.mktemp("changes")
    path = new_warehouse(work / "itsm.duckdb")
    insert_rows(path, "changes", CHANGES)
    insert_rows(path, "tickets", TICKETS)
    insert_rows(path, "outages", OUTAGES)
    dbt(["build", "--select", "+kpi_change_monthly", "--indirect-selection", "cautious"], path, work)
    return path


@pytest.fixture(scope="module")
def march_normal(warehouse: Path) -> dict[str, object]:
    rows = query(
        warehouse,
        "select * from marts.kpi_change_monthly where month = date '2026-03-01' and service = 'erp'"
        " and change_type = 'normal' and assignment_group = 'CAB'",
    )
    assert len(rows) == 1
    return rows[0]


def _change_row(warehouse: Path, change_id: str) -> dict[str, object]:
    return query(warehouse, f"select * from marts.fct_change where change_id = '{change_id}'")[0]


def test_cancelled_change_is_excluded_from_success_rate(march_normal: dict[str, object]) -> None:
    # 6 changes raised, 1 cancelled (C4) -> 5 with an outcome; successful C1 and C8 -> 2 / 5 = 40 %.
    assert march_normal["changes_total"] == 6
    assert march_normal["changes_cancelled"] == 1
    assert march_normal["changes_with_outcome"] == 5
    assert march_normal["change_success_pct"] == pytest.approx(40.0)
    # successful with issues C2 -> 1 / 5 = 20 %; failed or backed out C3 + C5 -> 2 / 5 = 40 %.
    assert march_normal["successful_with_issues_pct"] == pytest.approx(20.0)
    assert march_normal["failed_or_backed_out_pct"] == pytest.approx(40.0)


def test_change_started_before_approval_is_unauthorized(warehouse: Path, march_normal: dict[str, object]) -> None:
    # C3 started 08:00, approved 09:00; C5 implemented with no approval at all.
    assert _change_row(warehouse, "C3")["is_unauthorized"] is True
    assert _change_row(warehouse, "C5")["is_unauthorized"] is True
    assert _change_row(warehouse, "C1")["is_unauthorized"] is False
    # cancelled, never implemented: not unauthorized
    assert _change_row(warehouse, "C4")["is_unauthorized"] is False
    # 2 unauthorized / 5 implemented (C1, C2, C3, C5, C8) = 40 %
    assert march_normal["changes_implemented"] == 5
    assert march_normal["unauthorized_pct"] == pytest.approx(40.0)


def test_standard_change_without_approval_is_pre_authorized(warehouse: Path) -> None:
    assert _change_row(warehouse, "C7")["is_unauthorized"] is False
    row = query(
        warehouse,
        "select unauthorized_pct from marts.kpi_change_monthly where change_type = 'standard'",
    )
    assert row == [{"unauthorized_pct": 0.0}]


def test_retroactively_approved_emergency_change_is_flagged(warehouse: Path) -> None:
    row = query(
        warehouse,
        "select emergency_pct, unauthorized_pct, changes_emergency from marts.kpi_change_monthly"
        " where change_type = 'emergency'",
    )
    # the one emergency change started 01:00, approved 02:00 -> 1 / 1 unauthorized; emergency 1 / 1 = 100 %
    assert row == [{"emergency_pct": 100.0, "unauthorized_pct": 100.0, "changes_emergency": 1}]


def test_change_linked_to_two_incidents_counts_once_in_failure_rate(
    warehouse: Path, march_normal: dict[str, object]
) -> None:
    c2 = _change_row(warehouse, "C2")
    assert c2["linked_incidents"] == 2
    assert c2["is_change_failure"] is True
    # failures: C2 (two incidents, counted once) and C5 (outages) -> 2 / 5 implemented = 40 %.
    # C8 had an incident during its window without an explicit link: not a failure.
    assert _change_row(warehouse, "C8")["is_change_failure"] is False
    # C1 is named only by a request and by its own planned window: not a failure.
    assert _change_row(warehouse, "C1")["is_change_failure"] is False
    assert march_normal["changes_causing_failure"] == 2
    assert march_normal["change_failure_pct"] == pytest.approx(40.0)


def test_incidents_and_outage_hours_caused_by_changes(march_normal: dict[str, object]) -> None:
    # INC1 (P1) and INC2 (P2) name C2; INC3 names nothing; REQ1 is a request.
    assert march_normal["incidents_caused"] == 2
    assert march_normal["incidents_caused_p1"] == 1
    assert march_normal["incidents_caused_p2"] == 1
    assert march_normal["incidents_caused_p3"] == 0
    # C5: unplanned 21:00-23:00 = 2 h, plus degradation 23:00-24:00 at 50 % = 0.5 h -> 2.5 h
    assert march_normal["outage_hours_caused"] == pytest.approx(2.5)


def test_lead_time_mean_median_p90(march_normal: dict[str, object]) -> None:
    # requested -> actual_end, non-cancelled: C1 48 h, C2 36 h, C3 12 h, C5 24 h, C8 6 h
    # mean 126 / 5 = 25.2; median 24; p90 at rank 0.9 * 4 = 3.6 -> 36 + 0.6 * (48 - 36) = 43.2
    assert march_normal["lead_time_hours_mean"] == pytest.approx(25.2)
    assert march_normal["lead_time_hours_median"] == pytest.approx(24.0)
    assert march_normal["lead_time_hours_p90"] == pytest.approx(43.2)


def test_change_reported_in_month_it_finished(warehouse: Path) -> None:
    c9 = _change_row(warehouse, "C9")
    assert str(c9["change_month"]) == "2026-04-01"
    # C3: planned end 12:00, actual end 12:00 -> no overrun; C2 planned end 10:00, actual 12:00 -> 2 h overrun
    assert _change_row(warehouse, "C2")["overrun_hours"] == pytest.approx(2.0)
    assert _change_row(warehouse, "C2")["overran_planned_window"] is True
    assert _change_row(warehouse, "C3")["overran_planned_window"] is False


def test_unknown_close_code_blocks_the_change_marts(tmp_path: Path) -> None:
    # The loader quarantines an unknown close code (contract allowed values); if one reaches raw anyway, the
    # error-level accepted_values test on fct_change fails the build and dbt skips kpi_change_monthly, so the
    # success rate is never computed with it silently dropped from the denominator.
    path = new_warehouse(tmp_path / "itsm.duckdb")
    insert_rows(path, "changes", [_change("BAD", requested_at="2026-03-01 00:00Z", close_code="done")])
    code, output = dbt_build_output(
        ["build", "--select", "+kpi_change_monthly", "--indirect-selection", "cautious"], path, tmp_path
    )
    assert code != 0
    assert "FAIL 1 accepted_values_fct_change_close_code" in output
    assert "SKIP relation marts.kpi_change_monthly" in output
