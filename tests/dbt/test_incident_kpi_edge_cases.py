"""Incident KPI edge cases the main module does not cover: an incident nobody ever picked up, a reopened
incident that is still open, and a cancelled incident whose clock had already breached.

All: service email (uk_business, Mon-Fri 09:00-17:30 Europe/London = UTC in January), priority 3 (response
target 240 business minutes), January 2026, as_of Fri 2026-01-09 17:00 UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kpi_raw_rows import insert_rows, new_warehouse, query

AS_OF = "2026-01-09 17:00:00+00"
MARTS = "+fct_incident +kpi_incident_monthly"
DIMS = {"ticket_type": "incident", "priority": 3, "service": "email", "assignment_group": "G1"}
DIMS |= {"category": "network", "channel": "phone"}

TICKETS = [
    # E1: nobody ever responded or picked it up; resolved Mon 12:00 by a bulk close.
    {"ticket_id": "E1", "opened_at": "2026-01-05 09:00Z", "resolved_at": "2026-01-05 12:00Z", "state": "resolved"},
    # E2: responded 09:10, resolved 10:00, reopened 11:00 and still open at as_of.
    {"ticket_id": "E2", "opened_at": "2026-01-05 09:00Z", "first_response_at": "2026-01-05 09:10Z",
     "state": "in_progress"},
    # E3: opened Mon 09:00, responded 09:30, cancelled Fri 12:00 - long after its 25.5 h resolution target.
    {"ticket_id": "E3", "opened_at": "2026-01-05 09:00Z", "first_response_at": "2026-01-05 09:30Z",
     "state": "cancelled"},
]  # fmt: skip
TICKETS = [{**DIMS, **t} for t in TICKETS]


def _event(ticket_id: str, at: str, from_value: str, to_value: str) -> dict[str, object]:
    return {"ticket_id": ticket_id, "event_at": at, "field": "state", "from_value": from_value, "to_value": to_value}


EVENTS = [
    _event("E2", "2026-01-05 09:10Z", "new", "in_progress"),
    _event("E2", "2026-01-05 10:00Z", "in_progress", "resolved"),
    _event("E2", "2026-01-05 11:00Z", "resolved", "in_progress"),
    _event("E3", "2026-01-05 09:30Z", "new", "in_progress"),
    _event("E3", "2026-01-09 12:00Z", "in_progress", "cancelled"),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Path:
    work = tmp_path_factory.mktemp("incident_edges")
    path = new_warehouse(work / "itsm.duckdb")
    insert_rows(path, "tickets", TICKETS)
    insert_rows(path, "ticket_events", EVENTS)
    dbt(["build", "--select", *MARTS.split(), "--indirect-selection", "cautious"], path, work, vars_={"as_of": AS_OF})
    return path


def test_an_incident_nobody_picked_up_has_no_response_time(warehouse: Path) -> None:
    rows = {r["ticket_id"]: r for r in query(warehouse, "select * from marts.fct_incident")}
    # E1's response clock stops at the resolution (so its SLA can be judged) but that is not a response:
    # MTTA must not count 180 minutes for it.
    assert rows["E1"]["response_calendar_minutes"] is None
    assert rows["E1"]["response_business_minutes"] is None
    assert rows["E2"]["response_calendar_minutes"] == 10  # 09:00 -> 09:10
    [month] = query(warehouse, "select sum(incidents_opened) as n from marts.kpi_incident_monthly")
    assert month["n"] == 3


def test_reopened_ticket_still_open_counts_in_the_reopen_rate(warehouse: Path) -> None:
    [month] = query(
        warehouse,
        """select sum(incidents_ever_resolved) as ever, sum(resolved_reopened) as reopened,
                  max(reopen_pct) as pct
           from marts.kpi_incident_monthly""",
    )
    # ever resolved: E1 (resolved) + E2 (resolved once, reopened, open now) = 2; reopened: E2 = 1 -> 50 %
    assert (month["ever"], month["reopened"], month["pct"]) == (2, 1, 50.0)


def test_a_cancelled_incident_leaves_the_attainment_denominator(warehouse: Path) -> None:
    rows = {r["ticket_id"]: r for r in query(warehouse, "select * from marts.fct_incident")}
    # E3 ran Mon 09:00 -> Fri 12:00 = 4 x 8.5 h + 3 h = 37 business hours > 25.5 h target, but it was cancelled:
    # the same outcome as fct_ticket_sla, so it counts neither as met nor as breached.
    assert rows["E3"]["resolution_sla_state"] == "cancelled"
    [sla] = query(
        warehouse,
        "select sla_state, breached from marts.fct_ticket_sla where ticket_id = 'E3' and metric = 'resolution'",
    )
    # The clock did cross its target before the cancellation (the case that used to count as breached).
    assert (sla["sla_state"], sla["breached"]) == ("cancelled", True)
