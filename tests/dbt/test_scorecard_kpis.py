"""Service scorecard (kpi_service_monthly) on a hand-built month pair: one dbt build for the module.

Service email (24/7, availability target 99.9 % from services.csv), March and April 2026 (UTC); the as-of
instant is 30 April 12:00, so the reporting range is exactly March + April. Targets from kpi_targets.csv ('*'):
resolution SLA 95 (amber margin 3), MTTR business median 8 h lower-is-better (2), FCR 70 (5), change success 95
(3), change failure 10 lower-is-better (5), availability margin 0.4, CSAT 4.2 (0.3), NPS 30 (10).

P1 incidents use policy INC-P1 on the 24x7 calendar (response 15 min, resolution 240 min), so business hours
equal wall-clock hours and every SLA outcome below is plain arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kpi_raw_rows import insert_rows, new_warehouse, query


def _incident(ticket_id: str, opened: str, responded: str, resolved: str, **extra: object) -> dict[str, object]:
    return {
        "ticket_id": ticket_id,
        "ticket_type": "incident",
        "opened_at": opened,
        "first_response_at": responded,
        "resolved_at": resolved,
        "state": "resolved",
        "priority": 1,
        "service": "email",
        "assignment_group": "SD",
        "reassignment_count": 0,
        "reopen_count": 0,
        **extra,
    }


TICKETS = [
    # March: I1 responded in 5 min, resolved in 1 h -> both SLAs met, first contact
    _incident("I1", "2026-03-02 10:00Z", "2026-03-02 10:05Z", "2026-03-02 11:00Z"),
    # March: I2 responded in 30 min (> 15), resolved in 10 h (> 4 h) -> both breached; reassigned once;
    # caused by change C2
    _incident(
        "I2",
        "2026-03-03 10:00Z",
        "2026-03-03 10:30Z",
        "2026-03-03 20:00Z",
        reassignment_count=1,
        caused_by_change="C2",
    ),
    # April: I3 met, 1 h
    _incident("I3", "2026-04-06 10:00Z", "2026-04-06 10:05Z", "2026-04-06 11:00Z"),
    # March: two incidents whose export names no service (null, blank): they land under 'unassigned'
    _incident("U1", "2026-03-10 10:00Z", "2026-03-10 10:05Z", "2026-03-10 11:00Z", service=None),
    _incident("U2", "2026-03-11 10:00Z", "2026-03-11 10:05Z", "2026-03-11 11:00Z", service="  "),
]

CHANGES = [
    {
        "change_id": cid,
        "change_type": "normal",
        "service": "email",
        "assignment_group": "CAB",
        "requested_at": "2026-03-01 00:00Z",
        "approved_at": "2026-03-01 06:00Z",
        "actual_start": "2026-03-02 08:00Z",
        "actual_end": "2026-03-02 09:00Z",
        "close_code": code,
    }
    for cid, code in (("C1", "successful"), ("C2", "backed_out"))
]

OUTAGES = [
    {
        "outage_id": "O1",
        "service": "email",
        "started_at": "2026-03-02 10:00Z",
        "ended_at": "2026-03-02 11:00Z",
        "outage_type": "unplanned",
    }
]

SURVEYS = [
    {"survey_id": sid, "ticket_id": tid, "sent_at": sent, "responded_at": sent, "csat_score": csat, "nps_score": nps}
    for sid, tid, sent, csat, nps in (
        ("S1", "I1", "2026-03-04 09:00Z", 5, 10),
        ("S2", "I2", "2026-03-04 09:00Z", 2, 0),
        ("S3", "I3", "2026-04-07 09:00Z", 4, 9),
    )
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Path:
    work = tmp_path_factory.mktemp("scorecard")
    path = new_warehouse(work / "itsm.duckdb")
    insert_rows(path, "tickets", TICKETS)
    insert_rows(path, "changes", CHANGES)
    insert_rows(path, "outages", OUTAGES)
    insert_rows(path, "surveys", SURVEYS)
    dbt(
        ["build", "--select", "+kpi_service_monthly", "--indirect-selection", "cautious"],
        path,
        work,
        {"as_of": "2026-04-30 12:00:00+00"},
    )
    return path


def _row(warehouse: Path, month: str) -> dict[str, object]:
    rows = query(
        warehouse, f"select * from marts.kpi_service_monthly where service = 'email' and month = date '{month}'"
    )
    assert len(rows) == 1
    return rows[0]


def test_one_row_per_service_and_month_with_data(warehouse: Path) -> None:
    rows = query(warehouse, "select service, month from marts.kpi_service_monthly order by service, month")
    # email has data in March and April, unassigned (U1, U2) in March; the 7 other reference services have
    # none and get no row
    assert [(r["service"], str(r["month"])) for r in rows] == [
        ("email", "2026-03-01"),
        ("email", "2026-04-01"),
        ("unassigned", "2026-03-01"),
    ]


def test_tickets_without_a_service_are_unassigned_with_no_availability_target(warehouse: Path) -> None:
    (row,) = query(
        warehouse,
        "select * from marts.kpi_service_monthly where service = 'unassigned' and month = date '2026-03-01'",
    )
    assert row["incidents_opened"] == 2  # U1 and U2, both met (5 min, 1 h)
    assert row["sla_resolution_attainment_pct"] == pytest.approx(100.0)
    # no availability is committed for work attributed to no service
    assert row["availability_pct"] is None and row["availability_pct_target"] is None
    services = query(warehouse, "select distinct service from marts.fct_incident order by 1")
    assert [r["service"] for r in services] == ["email", "unassigned"]


def test_dashboards_list_only_services_with_data(warehouse: Path) -> None:
    from dashboards.queries import Filters, availability_by_service, filter_options, open_warehouse

    with open_warehouse(warehouse) as wh:
        assert filter_options(wh)["services"] == ["email", "unassigned"]
        # availability exists for the 8 reference services; only email has data (unassigned has no target)
        assert list(availability_by_service(wh, Filters())["service"]) == ["email"]


def test_incident_and_sla_kpis_against_targets(warehouse: Path) -> None:
    march = _row(warehouse, "2026-03-01")
    assert march["incidents_opened"] == 2
    # resolution: I1 met, I2 breached -> 50 %; 50 < 95 - 3 -> red
    assert march["sla_resolution_attainment_pct"] == pytest.approx(50.0)
    assert march["sla_resolution_attainment_pct_target"] == pytest.approx(95.0)
    assert march["sla_resolution_attainment_pct_status"] == "red"
    assert march["sla_response_attainment_pct"] == pytest.approx(50.0)
    # MTTR median of 1 h and 10 h = 5.5 h <= 8 h (lower is better) -> green
    assert march["mttr_business_hours_median"] == pytest.approx(5.5)
    assert march["mttr_business_hours_median_status"] == "green"
    # FCR: I1 yes, I2 reassigned -> 1 / 2 = 50 % < 70 - 5 -> red
    assert march["fcr_pct"] == pytest.approx(50.0)
    assert march["fcr_pct_status"] == "red"


def test_change_kpis_against_targets(warehouse: Path) -> None:
    march = _row(warehouse, "2026-03-01")
    # C1 successful, C2 backed out -> success 1 / 2 = 50 % (red vs 95); C2 caused I2 -> failure 1 / 2 = 50 %,
    # above 10 + 5 (lower is better) -> red
    assert march["change_success_pct"] == pytest.approx(50.0)
    assert march["change_success_pct_status"] == "red"
    assert march["change_failure_pct"] == pytest.approx(50.0)
    assert march["change_failure_pct_status"] == "red"
    assert march["incidents_caused_by_changes"] == 1
    # no change in April: no figure and no status, rather than a fake 0 %
    april = _row(warehouse, "2026-04-01")
    assert april["change_success_pct"] is None and april["change_success_pct_status"] is None


def test_availability_against_service_target_with_amber_band(warehouse: Path) -> None:
    march = _row(warehouse, "2026-03-01")
    # (744 - 1) / 744 = 99.8656 %: below 99.9 but within the 0.4 amber margin -> amber
    assert march["availability_pct"] == pytest.approx(100 * 743 / 744)
    assert march["availability_pct_target"] == pytest.approx(99.9)
    assert march["availability_pct_status"] == "amber"
    april = _row(warehouse, "2026-04-01")
    assert april["availability_pct"] == pytest.approx(100.0)
    assert april["availability_pct_status"] == "green"


def test_satisfaction_against_targets(warehouse: Path) -> None:
    march = _row(warehouse, "2026-03-01")
    # CSAT (5 + 2) / 2 = 3.5 < 4.2 - 0.3 -> red; NPS: one promoter (10), one detractor (0) -> 0 < 30 - 10 -> red
    assert march["csat_mean"] == pytest.approx(3.5)
    assert march["csat_mean_status"] == "red"
    assert march["nps"] == pytest.approx(0.0)
    assert march["nps_status"] == "red"
    # split by SLA: I1 (met) scored 5, I2 (breached) scored 2
    assert march["csat_mean_sla_met"] == pytest.approx(5.0)
    assert march["csat_mean_sla_breached"] == pytest.approx(2.0)
    april = _row(warehouse, "2026-04-01")
    # CSAT 4 >= 4.2 - 0.3 -> amber; NPS one promoter -> 100 -> green
    assert april["csat_mean_status"] == "amber"
    assert april["nps_status"] == "green"


def test_month_over_month_deltas(warehouse: Path) -> None:
    march, april = _row(warehouse, "2026-03-01"), _row(warehouse, "2026-04-01")
    assert march["availability_pct_mom_delta"] is None  # first month: nothing to compare with
    assert str(april["previous_month"]) == "2026-03-01"
    # resolution attainment 100 - 50 = +50; MTTR 1 - 5.5 = -4.5 h; availability 100 - 99.8656 = +0.1344;
    # CSAT 4 - 3.5 = +0.5; NPS 100 - 0 = +100
    assert april["sla_resolution_attainment_pct_mom_delta"] == pytest.approx(50.0)
    assert april["mttr_business_hours_median_mom_delta"] == pytest.approx(-4.5)
    assert april["availability_pct_mom_delta"] == pytest.approx(100 - 100 * 743 / 744)
    assert april["csat_mean_mom_delta"] == pytest.approx(0.5)
    assert april["nps_mom_delta"] == pytest.approx(100.0)
