"""Incremental refresh of the per-ticket models (macros/ticket_refresh.sql): which tickets each dbt run
recomputes, read from the watermark log intermediate.int_ticket_refresh_watermark.

Three incidents on the UK calendar, P3: T_DONE_1 and T_DONE_2 resolved with a first response (both clocks
stopped), T_OPEN still in progress (response and resolution clocks running).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kpi_raw_rows import insert_rows, new_warehouse, query

# build, not run: the seeds are part of the selection
SELECT = ["build", "--select", "+int_ticket_refresh_watermark", "--indirect-selection", "cautious"]


def _incident(ticket_id: str, priority: int, resolved: bool) -> dict[str, object]:
    return {
        "ticket_id": ticket_id,
        "ticket_type": "incident",
        "opened_at": "2026-01-14 10:00Z",
        "first_response_at": "2026-01-14 10:20Z" if resolved else None,
        "resolved_at": "2026-01-14 14:30Z" if resolved else None,
        "state": "resolved" if resolved else "in_progress",
        "priority": priority,
        "service": "email",
    }


def _refreshed(warehouse: Path) -> list[int]:
    rows = query(
        warehouse,
        "select tickets_refreshed from intermediate.int_ticket_refresh_watermark order by refreshed_at",
    )
    return [r["tickets_refreshed"] for r in rows]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> tuple[Path, list[list[int]]]:
    """Four dbt runs on one warehouse; the refresh counts after each."""
    work = tmp_path_factory.mktemp("ticket_refresh")
    warehouse = new_warehouse(work / "itsm.duckdb")
    insert_rows(warehouse, "tickets", [_incident("T_DONE_1", 3, True), _incident("T_DONE_2", 3, True)])
    insert_rows(warehouse, "tickets", [_incident("T_OPEN", 3, False)])
    after: list[list[int]] = []
    dbt(SELECT, warehouse, work)  # 1: first build
    after.append(_refreshed(warehouse))
    dbt(SELECT, warehouse, work)  # 2: nothing new
    after.append(_refreshed(warehouse))
    insert_rows(warehouse, "tickets", [_incident("T_DONE_1", 2, True)], load_id=2)  # a corrected re-export
    dbt(SELECT, warehouse, work)  # 3: one ticket touched by a newer load
    after.append(_refreshed(warehouse))
    dbt(SELECT, warehouse, work, vars_={"default_support_calendar": "us_business"})  # 4: clock var changed
    after.append(_refreshed(warehouse))
    return warehouse, after


def test_first_build_recomputes_every_ticket(runs: tuple[Path, list[list[int]]]) -> None:
    assert runs[1][0] == [3]


def test_a_run_with_nothing_new_recomputes_only_running_clocks(runs: tuple[Path, list[list[int]]]) -> None:
    # T_OPEN's clocks run with as_of; the two resolved tickets keep their rows untouched
    assert runs[1][1] == [3, 1]


def test_a_corrected_ticket_is_recomputed_with_the_running_ones(runs: tuple[Path, list[list[int]]]) -> None:
    warehouse, after = runs
    assert after[2] == [3, 1, 2]  # T_DONE_1 (load 2) + T_OPEN
    # the correction reached the marts even though T_DONE_2 was not recomputed
    assert query(warehouse, "select priority from marts.fct_incident where ticket_id = 'T_DONE_1'") == [{"priority": 2}]
    sla = query(warehouse, "select distinct priority from marts.fct_ticket_sla where ticket_id = 'T_DONE_1'")
    assert sla == [{"priority": 2}]


def test_a_changed_clock_var_recomputes_every_ticket(runs: tuple[Path, list[list[int]]]) -> None:
    assert runs[1][3] == [3, 1, 2, 3]
