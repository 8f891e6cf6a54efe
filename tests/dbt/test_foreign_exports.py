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
from pathlib import Path

import pytest
from kpi_raw_rows import insert_rows, new_warehouse, query

AS_OF = "2026-03-06 12:00:00+00"
H = 3600

MARTS = "+fct_ticket_sla +fct_incident"


def _ticket(ticket_id: str, opened_at: str, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "ticket_id": ticket_id,
        "ticket_type": "incident",
        "opened_at": opened_at,
        "state": "resolved" if fields.get("resolved_at") else "in_progress",
        "priority": 3,
        "service": "email",
    }
    row.update(fields)
    return row


def _state(ticket_id: str, at: str, from_value: str | None, to_value: str) -> dict[str, object]:
    return {"ticket_id": ticket_id, "event_at": at, "field": "state", "from_value": from_value, "to_value": to_value}


TICKETS = [
    # Opened in 2016, long before the 2025 versions: Tue 2016-03-01 10:00 -> 14:00 (GMT), all inside 09:00-17:30.
    _ticket("OLD_2016", "2016-03-01 10:00Z", resolved_at="2016-03-01 14:00Z", first_response_at="2016-03-01 10:30Z"),
    # Opened in the demo's period: the 2025 version still wins.
    _ticket("NEW_2026", "2026-01-14 10:00Z", resolved_at="2026-01-14 14:30Z"),
    # P2 opened after 2026-05-01: version 2 (360 min) wins over version 1 and the default.
    _ticket("P2_V2", "2026-05-05 10:00Z", resolved_at="2026-05-05 11:00Z", priority=2),
]

EVENTS: list[dict[str, object]] = []


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Path:
    work = tmp_path_factory.mktemp("foreign")
    path = new_warehouse(work / "itsm.duckdb")
    insert_rows(path, "tickets", TICKETS)
    insert_rows(path, "ticket_events", EVENTS)
    dbt(["build", "--select", *MARTS.split(), "--indirect-selection", "cautious"], path, work, vars_={"as_of": AS_OF})
    return path


def _sla(warehouse: Path, ticket_id: str, metric: str = "resolution", cycle_no: int = 1) -> dict[str, object]:
    rows = query(
        warehouse,
        f"select * from marts.fct_ticket_sla where ticket_id = '{ticket_id}' and metric = '{metric}' "
        f"and cycle_no = {cycle_no}",
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_ticket_opened_before_the_versions_gets_the_default_policy(warehouse: Path) -> None:
    resolution = _sla(warehouse, "OLD_2016")
    assert resolution["policy_id"] == "INC-P3-RES-default"
    assert resolution["elapsed_business_seconds"] == 4 * H  # 10:00 -> 14:00 on a Tuesday
    assert resolution["sla_state"] == "met"  # 4 h < 1530 min
    response = _sla(warehouse, "OLD_2016", "response")
    assert response["policy_id"] == "INC-P3-RESP-default"
    assert response["elapsed_business_seconds"] == 30 * 60  # 10:00 -> 10:30


def test_versions_still_win_inside_their_period(warehouse: Path) -> None:
    assert _sla(warehouse, "NEW_2026")["policy_id"] == "INC-P3-RES-v1"
    assert _sla(warehouse, "NEW_2026", "response")["policy_id"] == "INC-P3-RESP-v1"
    p2 = _sla(warehouse, "P2_V2")
    assert p2["policy_id"] == "INC-P2-RES-v2"
    assert p2["target_seconds"] == 360 * 60
