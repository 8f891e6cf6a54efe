"""The run's "now" is the export instant of the loaded files, never a timestamp inside the data.

One ticket mistyped as opened in 2029 used to become the run's as_of (the latest instant in the data) and flip
every running clock to breached. Here the only loaded file was exported Fri 2026-03-06 12:00 UTC; a rejected load
with a later export instant does not count. Reference data: P3 incident on service email -> uk_business,
Mon-Fri 09:00-17:30 Europe/London (GMT = UTC in March before the 29th); resolution target 1530 min = 25.5 h.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kpi_raw_rows import insert_rows, log_load, new_warehouse, query

H = 3600
EXPORTED_AT = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)

TICKETS = [
    # Running since Thu 09:00: at the export instant Thu 09:00-17:30 (8.5 h) + Fri 09:00-12:00 (3 h) = 11.5 h.
    {
        "ticket_id": "OPEN_P3",
        "ticket_type": "incident",
        "opened_at": "2026-03-05 09:00Z",
        "state": "in_progress",
        "priority": 3,
        "service": "email",
    },
    # Mistyped year: 2029 instead of 2026.
    {
        "ticket_id": "TYPO_2029",
        "ticket_type": "incident",
        "opened_at": "2029-03-05 10:00Z",
        "state": "in_progress",
        "priority": 3,
        "service": "email",
    },
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Path:
    work = tmp_path_factory.mktemp("as_of")
    path = new_warehouse(work / "itsm.duckdb")
    insert_rows(path, "tickets", TICKETS, load_id=1)
    log_load(path, 1, EXPORTED_AT.isoformat())
    log_load(path, 2, "2027-01-01 00:00Z", status="rejected")  # a rejected file's instant is not the run's
    dbt(
        [
            "build",
            "--select",
            "+fct_ticket_sla",
            "+run_as_of",
            "+int_availability_as_of",
            "--indirect-selection",
            "cautious",
        ],
        path,
        work,
    )
    return path


def test_the_run_as_of_is_the_export_instant_not_the_latest_date_in_the_data(warehouse: Path) -> None:
    assert query(warehouse, "select * from marts.run_as_of") == [
        {"as_of": EXPORTED_AT, "as_of_source": "export", "as_of_load_id": 1}
    ]
    (availability,) = query(warehouse, "select as_of, last_day from intermediate.int_availability_as_of")
    assert availability["as_of"] == EXPORTED_AT and str(availability["last_day"]) == "2026-03-06"


def test_a_mistyped_future_opening_does_not_flip_running_clocks(warehouse: Path) -> None:
    (clock,) = query(
        warehouse, "select * from marts.fct_ticket_sla where ticket_id = 'OPEN_P3' and metric = 'resolution'"
    )
    assert clock["elapsed_business_seconds"] == 11.5 * H  # measured to the export instant, not to 2029
    assert clock["as_of"] == EXPORTED_AT
    assert clock["breached"] is False and clock["sla_state"] == "in_progress"
