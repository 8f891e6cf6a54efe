"""int_ticket_events keeps the latest version of each event (ticket, event_at, field): the highest load, then
the last row of that load's file, and numbers the kept events in time order within ticket x field.

One incident, opened 2026-01-14 09:00Z, four state events in load 1 (the 11:00 event twice in the file), and
the 11:00 event re-exported in load 2 with a corrected target state.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kpi_raw_rows import insert_rows, new_warehouse, query


def _event(at: str, from_value: str, to_value: str) -> dict[str, object]:
    return {"ticket_id": "T1", "event_at": at, "field": "state", "from_value": from_value, "to_value": to_value}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Path:
    work = tmp_path_factory.mktemp("event_versions")
    warehouse = new_warehouse(work / "itsm.duckdb")
    insert_rows(
        warehouse,
        "tickets",
        [
            {
                "ticket_id": "T1",
                "ticket_type": "incident",
                "opened_at": "2026-01-14 09:00Z",
                "state": "in_progress",
                "priority": 3,
                "service": "email",
            }
        ],
    )
    insert_rows(
        warehouse,
        "ticket_events",
        [
            _event("2026-01-14 10:00Z", "new", "in_progress"),
            _event("2026-01-14 11:00Z", "in_progress", "on_hold"),  # row 2: superseded by row 3 of the same file
            _event("2026-01-14 11:00Z", "in_progress", "pending"),  # row 3: superseded by load 2
            _event("2026-01-14 12:00Z", "on_hold", "in_progress"),
        ],
    )
    insert_rows(warehouse, "ticket_events", [_event("2026-01-14 11:00Z", "in_progress", "resolved")], load_id=2)
    dbt(["build", "--select", "+int_ticket_refresh_watermark", "--indirect-selection", "cautious"], warehouse, work)
    return warehouse


def test_the_latest_version_of_each_event_is_kept(warehouse: Path) -> None:
    rows = query(warehouse, "select to_value from intermediate.int_ticket_events order by event_at")
    assert [r["to_value"] for r in rows] == ["in_progress", "resolved", "in_progress"]


def test_event_no_orders_the_kept_events_in_time(warehouse: Path) -> None:
    numbers = [
        r["event_no"] for r in query(warehouse, "select event_no from intermediate.int_ticket_events order by event_at")
    ]
    # the window lists 10:00, then 11:00 newest first (load 2, load 1 row 3, load 1 row 2), then 12:00: rows 1, 2, 5
    assert numbers == [1, 2, 5]


def test_state_stretches_follow_the_latest_versions(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select state, previous_state from intermediate.int_ticket_state_intervals order by stretch_no",
    )
    assert [(r["state"], r["previous_state"]) for r in rows] == [
        ("new", None),
        ("in_progress", "new"),
        ("resolved", "in_progress"),
        ("in_progress", "resolved"),
    ]
