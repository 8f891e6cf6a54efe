"""Incident KPI marts on six hand-built incidents: one dbt build shared by every case in this module.

All incidents: service email (support calendar uk_business, Mon-Fri 09:00-17:30 Europe/London, GMT = UTC in
January), priority 3 (response target 240 min, resolution 1530 min = 25.5 business hours), assignment group
G1, category network, channel phone. as_of = Fri 2026-01-09 17:00 UTC.

| id | opened (UTC)        | resolved (UTC)       | first response | story                                      |
|----|---------------------|----------------------|----------------|--------------------------------------------|
| I1 | Mon 01-05 09:00     | Mon 01-05 10:00      | 09:15          | first group G1 resolves                    |
| I2 | Mon 01-05 16:00     | Tue 01-06 10:00      | 16:30          | G0 -> G1 reassignment                      |
| I3 | Wed 01-07 09:00     | Thu 01-08 11:00      | 09:10          | resolved Wed 13:00, reopened Thu 09:00     |
| I4 | Mon 01-05 10:00     | open                 | none           | no events at all: both clocks still run    |
| I5 | Tue 01-06 09:00     | Tue 01-06 09:30      | 09:05          |                                            |
| I6 | Wed 2025-10-01 00:30 BST (2025-09-30 23:30 UTC) | open | none | old backlog item             |
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from kpi_raw_rows import insert_rows, new_warehouse, query

from pipelines import cli

AS_OF = "2026-01-09 17:00:00+00"
MARTS = "+fct_incident +kpi_incident_daily +kpi_incident_monthly +fct_backlog_daily +kpi_sla_source_reconciliation"
DIMS = {"ticket_type": "incident", "priority": 3, "service": "email", "assignment_group": "G1"}
DIMS |= {"category": "network", "channel": "phone"}


def _incident(ticket_id: str, opened_at: str, **fields: object) -> dict[str, object]:
    state = "resolved" if fields.get("resolved_at") else "in_progress"
    return {"ticket_id": ticket_id, "opened_at": opened_at, "state": state, **DIMS, **fields}


TICKETS = [
    _incident(
        "I1",
        "2026-01-05 09:00Z",
        resolved_at="2026-01-05 10:00Z",
        first_response_at="2026-01-05 09:15Z",
        source_made_sla=True,
    ),
    _incident(
        "I2",
        "2026-01-05 16:00Z",
        resolved_at="2026-01-06 10:00Z",
        first_response_at="2026-01-05 16:30Z",
        source_made_sla=False,
    ),
    _incident("I3", "2026-01-07 09:00Z", resolved_at="2026-01-08 11:00Z", first_response_at="2026-01-07 09:10Z"),
    _incident("I4", "2026-01-05 10:00Z", source_made_sla=False),
    _incident(
        "I5",
        "2026-01-06 09:00Z",
        resolved_at="2026-01-06 09:30Z",
        first_response_at="2026-01-06 09:05Z",
        source_made_sla=True,
    ),
    _incident("I6", "2025-09-30 23:30Z"),
]


def _event(ticket_id: str, at: str, field: str, from_value: str | None, to_value: str) -> dict[str, object]:
    return {"ticket_id": ticket_id, "event_at": at, "field": field, "from_value": from_value, "to_value": to_value}


EVENTS = [
    _event("I1", "2026-01-05 09:05Z", "assignment_group", None, "G1"),
    _event("I2", "2026-01-05 16:05Z", "assignment_group", None, "G0"),
    _event("I2", "2026-01-06 09:00Z", "assignment_group", "G0", "G1"),
    _event("I3", "2026-01-07 09:10Z", "state", "new", "in_progress"),
    _event("I3", "2026-01-07 13:00Z", "state", "in_progress", "resolved"),
    _event("I3", "2026-01-08 09:00Z", "state", "resolved", "in_progress"),
    _event("I3", "2026-01-08 11:00Z", "state", "in_progress", "resolved"),
]


@pytest.fixture(scope="module")
def kpi_warehouse(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Path:
    work = tmp_path_factory.mktemp("incident_kpis")
    warehouse = new_warehouse(work / "itsm.duckdb")
    insert_rows(warehouse, "tickets", TICKETS)
    insert_rows(warehouse, "ticket_events", EVENTS)
    dbt(
        ["build", "--select", *MARTS.split(), "--indirect-selection", "cautious"],
        warehouse,
        work,
        vars_={"as_of": AS_OF},
    )
    return warehouse


def _incidents(warehouse: Path) -> dict[str, dict[str, object]]:
    return {r["ticket_id"]: r for r in query(warehouse, "select * from marts.fct_incident")}


def test_incident_times_counts_and_outcomes(kpi_warehouse: Path) -> None:
    rows = _incidents(kpi_warehouse)
    i2, i3, i4 = rows["I2"], rows["I3"], rows["I4"]
    assert i2["resolve_calendar_hours"] == 18  # Mon 16:00 -> Tue 10:00
    assert i2["resolve_business_hours"] == 2.5  # Mon 16:00-17:30 + Tue 09:00-10:00
    assert (i2["reassignments"], i2["is_first_contact_resolution"], i2["is_resolved_by_first_group"]) == (
        1,
        False,
        False,
    )
    assert i3["resolve_calendar_hours"] == 26  # Wed 09:00 -> Thu 11:00
    assert i3["resolve_business_hours"] == 10.5  # Wed 8.5 h + Thu 09:00-11:00 2 h, reopen gap included
    assert i3["resolve_sla_business_hours"] == 6  # cycle 1 Wed 09:00-13:00 (4 h) + cycle 2 Thu 09:00-11:00 (2 h)
    assert (i3["reopens"], i3["resolution_cycles"], i3["is_first_contact_resolution"]) == (1, 2, False)
    assert rows["I1"]["is_first_contact_resolution"] is True
    # I4 never answered: response clock Mon 10:00 + 4 h -> breached; resolution 25.5 h counted by Thu 10:00
    assert (i4["response_sla_state"], i4["resolution_sla_state"], i4["is_resolved"]) == ("breached", "breached", False)
    assert i4["resolve_calendar_hours"] is None


def test_monthly_kpis_for_january_cohort(kpi_warehouse: Path) -> None:
    [row] = query(kpi_warehouse, "select * from marts.kpi_incident_monthly where period_start = '2026-01-01'")
    assert (row["incidents_opened"], row["incidents_resolved"]) == (5, 4)  # I1-I5; I4 open
    # calendar hours of resolved I1 1, I2 18, I3 26, I5 0.5
    assert row["mttr_calendar_hours_mean"] == pytest.approx(45.5 / 4)
    assert row["mttr_calendar_hours_median"] == pytest.approx((1 + 18) / 2)
    assert row["mttr_calendar_hours_p90"] == pytest.approx(18 + 0.7 * (26 - 18))  # rank 0.9 x 3 = 2.7
    # business hours 1, 2.5, 10.5, 0.5; SLA variant 1, 2.5, 6, 0.5
    assert row["mttr_business_hours_mean"] == pytest.approx(14.5 / 4)
    assert row["mttr_business_hours_median"] == pytest.approx((1 + 2.5) / 2)
    assert row["mttr_sla_business_hours_mean"] == pytest.approx(10 / 4)
    # MTTA minutes 15, 30, 10, 5 (I4 has none yet)
    assert row["mtta_calendar_minutes_mean"] == pytest.approx(15)
    assert row["mtta_calendar_minutes_median"] == pytest.approx(12.5)
    # both SLAs: I1, I2, I3, I5 met, I4 open past target = breached -> 4 / 5
    assert row["response_sla_attainment_pct"] == pytest.approx(80)
    assert row["resolution_sla_attainment_pct"] == pytest.approx(80)
    assert row["fcr_pct"] == pytest.approx(50)  # I1, I5 of 4 resolved
    assert row["reopen_pct"] == pytest.approx(25)  # I3 of 4 resolved
    assert row["resolved_by_first_group_pct"] == pytest.approx(75)  # all but I2
    assert row["reassignments_mean"] == pytest.approx(0.2)  # one move over five incidents
    assert (row["reassigned_0"], row["reassigned_1"], row["reassigned_2"], row["reassigned_3_plus"]) == (4, 1, 0, 0)


def test_daily_kpis_split_the_cohort_by_opening_day(kpi_warehouse: Path) -> None:
    rows = query(kpi_warehouse, "select period_start, incidents_opened from marts.kpi_incident_daily order by 1")
    opened = {str(r["period_start"]): r["incidents_opened"] for r in rows}
    assert opened == {"2025-09-30": 1, "2026-01-05": 3, "2026-01-06": 1, "2026-01-07": 1}  # I6's UTC day


def test_backlog_end_of_day_with_age_buckets(kpi_warehouse: Path) -> None:
    rows = query(kpi_warehouse, "select * from marts.fct_backlog_daily order by calendar_date")
    by_day = {str(r["calendar_date"]): r for r in rows}
    # I6 opened 00:30 BST on 2025-10-01: its local day, not the UTC day 09-30
    assert min(by_day) == "2025-10-01" and max(by_day) == "2026-01-09"
    assert by_day["2025-10-01"]["opened"] == 1
    assert by_day["2025-12-30"]["open_age_31_90"] == 1  # I6 is 90 days old
    assert by_day["2025-12-31"]["open_age_over_90"] == 1  # 91 days
    day = by_day["2026-01-05"]  # I1, I2, I4 opened; I1 resolved; open I2, I4 (age 0) + I6
    assert (day["open_incidents"], day["open_age_0_1"], day["opened"], day["resolved"]) == (3, 2, 3, 1)
    assert day["backlog_growth"] == 2
    day = by_day["2026-01-07"]  # I4 is 2 days old, I3 opened (age 0), I6
    assert (day["open_age_0_1"], day["open_age_2_5"], day["open_incidents"]) == (1, 1, 3)
    day = by_day["2026-01-08"]  # I3 resolved
    assert (day["open_incidents"], day["resolved"], day["backlog_growth"]) == (2, 1, -1)


def test_source_sla_flag_reconciliation(kpi_warehouse: Path) -> None:
    [row] = query(kpi_warehouse, "select * from marts.kpi_sla_source_reconciliation")
    # I1 met/met, I5 met/met, I4 breached/breached, I2 source breached but ours met
    assert row["tickets_compared"] == 4
    assert (row["both_met"], row["both_breached"], row["source_breached_ours_met"]) == (2, 1, 1)
    assert row["agreement_pct"] == pytest.approx(75)


def _rows(text: str) -> list[list[str]]:
    """The cells of every line (plain output: table cells are 2+ spaces apart)."""
    return [re.split(r"\s{2,}", ln.strip()) for ln in text.splitlines() if ln.strip()]


def _row_from(text: str, from_utc: str) -> list[str]:
    return next(cells for cells in _rows(text) if cells[0] == from_utc)


def test_itsm_explain_prints_every_interval(kpi_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITSM_WAREHOUSE", str(kpi_warehouse))
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(["explain", "I3"])
    text = out.getvalue()
    assert code == 0
    assert "resolution cycle 2: MET" in text
    # both of I3's clocks stopped: no as-of applies, and the run's (the as_of var) is named instead of "-"
    assert (
        "all clocks stopped, so no as-of applies (the run's as-of is 2026-01-09 17:00:00Z, set by the as_of var)"
        in text
    )
    # cycle 1: new 09:00-09:10 and in_progress 09:10-13:00 counted, 4 h in all
    assert ["counted", "in_progress", "3:50:00", "4:00:00"] in [cells[2:6] for cells in _rows(text)]
    # cycle 2 starts at the reopen, Thu 09:00, and counts 2 h
    assert _row_from(text, "2026-01-08 09:00:00Z (Thu 09:00 GMT)")[:3] == [
        "2026-01-08 09:00:00Z (Thu 09:00 GMT)",
        "2026-01-08 11:00:00Z (Thu 11:00 GMT)",
        "counted",
    ]
    out = io.StringIO()
    with redirect_stdout(out):
        text4 = (cli.main(["explain", "I4"]), out)[1].getvalue()
    # I4's clocks still run: they are measured to the as_of var's instant
    assert "as of 2026-01-09 17:00:00Z: a clock is still running" in text4
    # I4's open clock crosses a night: the outside-hours interval Mon 17:30 -> Tue 09:00 is listed
    assert _row_from(text4, "2026-01-05 17:30:00Z (Mon 17:30 GMT)")[:3] == [
        "2026-01-05 17:30:00Z (Mon 17:30 GMT)",
        "2026-01-06 09:00:00Z (Tue 09:00 GMT)",
        "outside hours",
    ]
    assert "TARGET PASSED at 2026-01-08 10:00:00 UTC" in text4  # 25.5 h: Mon 7.5 + Tue 8.5 + Wed 8.5 + Thu 1
