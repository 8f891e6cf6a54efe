"""Availability on hand-built outage records: one dbt build shared by every case of this module.

Reporting range: 1 March 2026 (first record) to the as-of day 30 April 2026 (var as_of). All times UTC.
Services and calendars come from the reference seeds:
- email, vpn, crm, website: no service-hours calendar -> 24/7; March = 31 x 24 = 744 agreed hours.
- payroll: uk_business, Mon-Fri 09:00-17:30 Europe/London (GMT until 29 March 2026, BST after), target 99 %.
- erp: uk_extended, Mon-Sat 06:00-22:00 Europe/London, target 99.5 %.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kpi_raw_rows import insert_rows, new_warehouse, query

AS_OF = "2026-04-30 12:00:00+00"


def _outage(outage_id: str, service: str, start: str, end: str | None, kind: str = "unplanned", **extra) -> dict:
    return {
        "outage_id": outage_id,
        "service": service,
        "started_at": start,
        "ended_at": end,
        "outage_type": kind,
        **extra,
    }


OUTAGES = [
    # email: two overlapping outages 10:00-12:00 and 11:00-13:00 -> one outage 10:00-13:00 = 3 h, not 4 h
    _outage("A1", "email", "2026-03-02 10:00Z", "2026-03-02 12:00Z"),
    _outage("A2", "email", "2026-03-02 11:00Z", "2026-03-02 13:00Z"),
    # email: degradation at 50 % for 2 h -> 1 h of downtime
    _outage("B1", "email", "2026-03-10 00:00Z", "2026-03-10 02:00Z", "degradation", impact_pct=50),
    # email: 50 % degradation 10:00-12:00 with a full outage 11:00-11:30 inside it: the max weight wins
    # -> 10:00-11:00 x 0.5 + 11:00-11:30 x 1 + 11:30-12:00 x 0.5 = 0.5 + 0.5 + 0.25 = 1.25 h, one outage
    _outage("C1", "email", "2026-03-12 10:00Z", "2026-03-12 12:00Z", "degradation", impact_pct=50),
    _outage("C2", "email", "2026-03-12 11:00Z", "2026-03-12 11:30Z"),
    # crm: approved maintenance window of change CH1 (approved 01:00-03:00) ran until 04:00 -> 1 h overrun
    _outage("P1", "crm", "2026-03-05 01:00Z", "2026-03-05 04:00Z", "planned", change_id="CH1"),
    # crm: unplanned outage wholly inside the approved window -> excluded, not counted
    _outage("U1", "crm", "2026-03-05 01:30Z", "2026-03-05 02:00Z"),
    # crm: unplanned 02:30-03:30; 02:30-03:00 inside the window (excluded), 03:00-03:30 overlaps the overrun
    # -> one outage 02:30-04:00 counting 03:00-04:00 = 1 h
    _outage("U2", "crm", "2026-03-05 02:30Z", "2026-03-05 03:30Z"),
    # crm: a "planned" window whose change was never approved -> downtime, 1 h
    _outage("P2", "crm", "2026-03-20 00:00Z", "2026-03-20 01:00Z", "planned", change_id="CH2"),
    # payroll (BST from 29 March: hours are 08:00-16:30 UTC): Tue 31 March 16:00 -> Wed 1 April 10:00 crosses
    # the month and the service-hours boundaries: March 16:00-16:30 = 0.5 h; April 08:00-10:00 = 2 h
    _outage("M1", "payroll", "2026-03-31 16:00Z", "2026-04-01 10:00Z"),
    # payroll, Mon 23 March (GMT, hours 09:00-17:30 UTC): 16:45-17:15 is inside hours -> 0.5 h
    _outage("D1", "payroll", "2026-03-23 16:45Z", "2026-03-23 17:15Z"),
    # payroll, Mon 30 March (BST, hours 08:00-16:30 UTC): the same UTC times are after closing -> 0 h, not counted
    _outage("D2", "payroll", "2026-03-30 16:45Z", "2026-03-30 17:15Z"),
    # vpn: ends before it starts -> flagged by a data-quality test and never counted
    _outage("BAD1", "vpn", "2026-03-15 10:00Z", "2026-03-15 09:00Z"),
    # website: still open at the as-of instant (30 April 12:00) -> counts 10:00-12:00 = 2 h
    _outage("OPEN1", "website", "2026-04-30 10:00Z", None),
]

CHANGES = [
    {
        "change_id": "CH1",
        "change_type": "normal",
        "service": "crm",
        "requested_at": "2026-03-01 00:00Z",
        "approved_at": "2026-03-02 00:00Z",
        "planned_start": "2026-03-05 01:00Z",
        "planned_end": "2026-03-05 03:00Z",
        "actual_start": "2026-03-05 01:00Z",
        "actual_end": "2026-03-05 04:00Z",
        "close_code": "successful_with_issues",
    },
    {
        "change_id": "CH2",
        "change_type": "normal",
        "service": "crm",
        "requested_at": "2026-03-18 00:00Z",
        "planned_start": "2026-03-20 00:00Z",
        "planned_end": "2026-03-20 01:00Z",
        "actual_start": "2026-03-20 00:00Z",
        "actual_end": "2026-03-20 01:00Z",
        "close_code": "successful",
    },
]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> tuple[Path, str]:
    work = tmp_path_factory.mktemp("availability")
    path = new_warehouse(work / "itsm.duckdb")
    insert_rows(path, "outages", OUTAGES)
    insert_rows(path, "changes", CHANGES)
    output = dbt(
        ["build", "--select", "+kpi_availability_monthly", "--indirect-selection", "cautious"],
        path,
        work,
        {"as_of": AS_OF},
    )
    return path, output


@pytest.fixture(scope="module")
def warehouse(build: tuple[Path, str]) -> Path:
    return build[0]


def _month(warehouse: Path, service: str, month: str) -> dict[str, object]:
    rows = query(
        warehouse,
        f"select * from marts.kpi_availability_monthly where service = '{service}' and month = date '{month}'",
    )
    assert len(rows) == 1
    return rows[0]


def _day(warehouse: Path, service: str, day: str) -> dict[str, object]:
    rows = query(
        warehouse, f"select * from marts.kpi_availability_daily where service = '{service}' and day = date '{day}'"
    )
    assert len(rows) == 1
    return rows[0]


def _outages(warehouse: Path, service: str) -> list[dict[str, object]]:
    return query(warehouse, f"select * from marts.fct_outage where service = '{service}' order by started_at")


def test_overlapping_outages_are_merged_not_double_counted(warehouse: Path) -> None:
    first = _outages(warehouse, "email")[0]
    assert first["source_outage_ids"] == "A1,A2"
    # 10:00-13:00 = 3 h (the naive sum of the records would be 2 h + 2 h = 4 h)
    assert first["duration_hours"] == pytest.approx(3.0)
    assert first["agreed_downtime_hours"] == pytest.approx(3.0)


def test_degradation_at_half_impact_counts_half(warehouse: Path) -> None:
    second = _outages(warehouse, "email")[1]
    assert second["source_outage_ids"] == "B1"
    # 2 h x 50 % = 1 h
    assert second["duration_hours"] == pytest.approx(2.0)
    assert second["agreed_downtime_hours"] == pytest.approx(1.0)


def test_overlap_of_degradation_and_outage_takes_the_max_weight(warehouse: Path) -> None:
    third = _outages(warehouse, "email")[2]
    assert third["source_outage_ids"] == "C1,C2"
    # 1 h x 0.5 + 0.5 h x 1 + 0.5 h x 0.5 = 1.25 h
    assert third["agreed_downtime_hours"] == pytest.approx(1.25)


def test_monthly_availability_mtrs_mtbf_and_error_budget(warehouse: Path) -> None:
    m = _month(warehouse, "email", "2026-03-01")
    # agreed 31 x 24 = 744 h; downtime 3 + 1 + 1.25 = 5.25 h in 3 outages
    assert m["agreed_hours"] == pytest.approx(744.0)
    assert m["downtime_hours"] == pytest.approx(5.25)
    assert m["outages"] == 3
    # (744 - 5.25) / 744 = 99.294354...%
    assert m["availability_pct"] == pytest.approx(100 * 738.75 / 744)
    assert m["target_pct"] == pytest.approx(99.9)
    assert m["target_met"] is False
    # MTRS 5.25 / 3 = 1.75 h; MTBF (744 - 5.25) / 3 = 246.25 h
    assert m["mtrs_hours"] == pytest.approx(1.75)
    assert m["mtbf_hours"] == pytest.approx(246.25)
    # error budget (1 - 0.999) x 744 = 0.744 h; remaining 0.744 - 5.25 = -4.506 h; burn 5.25 / 0.744 = 7.056...
    assert m["error_budget_hours"] == pytest.approx(0.744)
    assert m["error_budget_remaining_hours"] == pytest.approx(-4.506)
    assert m["error_budget_burn_rate"] == pytest.approx(5.25 / 0.744)


def test_service_without_outages_is_fully_available(warehouse: Path) -> None:
    m = _month(warehouse, "vpn", "2026-03-01")
    # 744 h agreed, nothing down; MTRS / MTBF undefined without outages; whole budget left
    assert m["availability_pct"] == pytest.approx(100.0)
    assert m["outages"] == 0
    assert m["mtrs_hours"] is None and m["mtbf_hours"] is None
    assert m["error_budget_remaining_hours"] == pytest.approx(0.744)
    assert m["error_budget_burn_rate"] == pytest.approx(0.0)
    assert m["target_met"] is True


def test_unplanned_outage_inside_maintenance_window_is_excluded(warehouse: Path) -> None:
    crm = _outages(warehouse, "crm")
    inside = next(o for o in crm if o["source_outage_ids"] == "U1")
    assert inside["is_counted"] is False
    assert inside["agreed_downtime_hours"] == pytest.approx(0.0)
    assert inside["in_maintenance_hours"] == pytest.approx(0.5)


def test_maintenance_overrun_counts_as_unplanned(warehouse: Path) -> None:
    crm = _outages(warehouse, "crm")
    # U2 (02:30-03:30) merges with P1's overrun (03:00-04:00): one outage 02:30-04:00, 02:30-03:00 excluded
    overrun = next(o for o in crm if o["source_outage_ids"] == "P1,U2")
    assert overrun["piece_kinds"] == "maintenance_overrun,unplanned"
    assert overrun["duration_hours"] == pytest.approx(1.5)
    assert overrun["agreed_downtime_hours"] == pytest.approx(1.0)
    m = _month(warehouse, "crm", "2026-03-01")
    # overrun cluster 1 h + unapproved window P2 1 h = 2 h in 2 counted outages (U1 not counted)
    assert m["downtime_hours"] == pytest.approx(2.0)
    assert m["outages"] == 2
    # (744 - 2) / 744
    assert m["availability_pct"] == pytest.approx(100 * 742 / 744)


def test_outage_crossing_month_and_service_hours_boundaries(warehouse: Path) -> None:
    march = _month(warehouse, "payroll", "2026-03-01")
    april = _month(warehouse, "payroll", "2026-04-01")
    # March: 22 weekdays x 8.5 h = 187 h agreed (no UK holiday in March 2026).
    assert march["agreed_hours"] == pytest.approx(187.0)
    # March downtime: D1 0.5 h + M1's 16:00-16:30 on 31 March 0.5 h = 1 h; D2 is after closing (BST)
    assert march["downtime_hours"] == pytest.approx(1.0)
    assert march["outages"] == 2
    # 186 / 187; target 99 % met; MTRS 1 / 2 = 0.5 h; MTBF 186 / 2 = 93 h; budget 0.01 x 187 = 1.87 h
    assert march["availability_pct"] == pytest.approx(100 * 186 / 187)
    assert march["target_met"] is True
    assert march["mtrs_hours"] == pytest.approx(0.5)
    assert march["mtbf_hours"] == pytest.approx(93.0)
    assert march["error_budget_hours"] == pytest.approx(1.87)
    assert march["error_budget_burn_rate"] == pytest.approx(1 / 1.87)
    # April: 22 weekdays - Good Friday (3rd) - Easter Monday (6th) = 20 days x 8.5 h = 170 h;
    # M1 continues 08:00-10:00 UTC on 1 April = 2 h; the outage itself is counted in March, where it started
    assert april["agreed_hours"] == pytest.approx(170.0)
    assert april["downtime_hours"] == pytest.approx(2.0)
    assert april["outages"] == 0
    assert april["availability_pct"] == pytest.approx(100 * 168 / 170)


def test_service_hours_follow_dst_in_utc(warehouse: Path) -> None:
    # same UTC clock times, one week apart: inside hours in GMT, outside in BST
    assert _day(warehouse, "payroll", "2026-03-23")["downtime_hours"] == pytest.approx(0.5)
    assert _day(warehouse, "payroll", "2026-03-30")["downtime_hours"] == pytest.approx(0.0)
    not_counted = next(o for o in _outages(warehouse, "payroll") if o["source_outage_ids"] == "D2")
    assert not_counted["is_counted"] is False
    # agreed hours: a weekday 8.5 h, the Saturday 0 h
    assert _day(warehouse, "payroll", "2026-03-30")["agreed_hours"] == pytest.approx(8.5)
    assert _day(warehouse, "payroll", "2026-03-28")["agreed_hours"] == pytest.approx(0.0)


def test_service_calendar_versus_24x7_agreed_time_in_dst_month(warehouse: Path) -> None:
    # erp, Mon-Sat 06:00-22:00 London: March 2026 has 31 - 5 Sundays = 26 days x 16 h = 416 h, whatever the
    # DST change on Sunday 29 March; a 24/7 service has 744 h, and 24 h on the DST day itself.
    assert _month(warehouse, "erp", "2026-03-01")["agreed_hours"] == pytest.approx(416.0)
    assert _month(warehouse, "erp", "2026-03-01")["availability_pct"] == pytest.approx(100.0)
    assert _month(warehouse, "vpn", "2026-03-01")["agreed_hours"] == pytest.approx(744.0)
    assert _day(warehouse, "vpn", "2026-03-29")["agreed_hours"] == pytest.approx(24.0)


def test_outage_ending_before_start_is_flagged_and_not_counted(build: tuple[Path, str]) -> None:
    warehouse, output = build
    flagged = query(warehouse, "select quality_status from intermediate.int_outage_intervals where outage_id = 'BAD1'")
    assert flagged == [{"quality_status": "ends_before_start"}]
    assert _outages(warehouse, "vpn") == []
    assert "WARN 1 accepted_values_int_outage_intervals_quality_status" in output


def test_open_outage_runs_until_as_of(warehouse: Path) -> None:
    # website open since 30 April 10:00, as-of 12:00 -> 2 h
    m = _month(warehouse, "website", "2026-04-01")
    assert m["downtime_hours"] == pytest.approx(2.0)
    assert _outages(warehouse, "website")[0]["is_open"] is True


def test_every_service_has_a_row_for_every_month(warehouse: Path) -> None:
    rows = query(
        warehouse, "select count(*) as n, count(distinct service) as services from marts.kpi_availability_monthly"
    )
    # 8 reference services x 2 months (March, April)
    assert rows == [{"n": 16, "services": 8}]
    # the range is 1 March .. 30 April (the as-of day): both months whole
    coverage = query(
        warehouse,
        "select month, min(days_covered) as days, bool_or(is_partial_month) as partial"
        " from marts.kpi_availability_monthly group by month order by month",
    )
    assert [(str(c["month"]), c["days"], c["partial"]) for c in coverage] == [
        ("2026-03-01", 31, False),
        ("2026-04-01", 30, False),
    ]
