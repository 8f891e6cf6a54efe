"""Incremental refresh of the per-ticket models (macros/ticket_refresh.sql): which tickets each dbt run
recomputes, read from the watermark log intermediate.int_ticket_refresh_watermark and from
intermediate.int_tickets_to_refresh (is_touched: new raw rows, else only a running clock).

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


def _refresh_set(warehouse: Path) -> dict[str, bool]:
    rows = query(warehouse, "select ticket_id, is_touched from intermediate.int_tickets_to_refresh")
    return {r["ticket_id"]: r["is_touched"] for r in rows}


Runs = tuple[Path, list[list[int]], list[dict[str, bool]]]


def _refreshed(warehouse: Path) -> list[int]:
    rows = query(
        warehouse,
        "select tickets_refreshed from intermediate.int_ticket_refresh_watermark order by refreshed_at",
    )
    return [r["tickets_refreshed"] for r in rows]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Runs:
    """Four dbt runs on one warehouse; after each: the refresh counts and the refresh set."""
    work = tmp_path_factory.mktemp("ticket_refresh")
    warehouse = new_warehouse(work / "itsm.duckdb")
    insert_rows(warehouse, "tickets", [_incident("T_DONE_1", 3, True), _incident("T_DONE_2", 3, True)])
    insert_rows(warehouse, "tickets", [_incident("T_OPEN", 3, False)])
    after: list[list[int]] = []
    sets: list[dict[str, bool]] = []

    def record() -> None:
        after.append(_refreshed(warehouse))
        sets.append(_refresh_set(warehouse))

    dbt(SELECT, warehouse, work)  # 1: first build
    record()
    dbt(SELECT, warehouse, work)  # 2: nothing new
    record()
    insert_rows(warehouse, "tickets", [_incident("T_DONE_1", 2, True)], load_id=2)  # a corrected re-export
    dbt(SELECT, warehouse, work)  # 3: one ticket touched by a newer load
    record()
    dbt(SELECT, warehouse, work, vars_={"default_support_calendar": "us_business"})  # 4: clock var changed
    record()
    return warehouse, after, sets


def test_first_build_recomputes_every_ticket(runs: Runs) -> None:
    assert runs[1][0] == [3]


def test_a_run_with_nothing_new_recomputes_only_running_clocks(runs: Runs) -> None:
    # T_OPEN's clocks run with as_of; the two resolved tickets keep their rows untouched
    assert runs[1][1] == [3, 1]


def test_a_corrected_ticket_is_recomputed_with_the_running_ones(runs: Runs) -> None:
    warehouse, after = runs[0], runs[1]
    assert after[2] == [3, 1, 2]  # T_DONE_1 (load 2) + T_OPEN
    # the correction reached the marts even though T_DONE_2 was not recomputed
    assert query(warehouse, "select priority from marts.fct_incident where ticket_id = 'T_DONE_1'") == [{"priority": 2}]
    sla = query(warehouse, "select distinct priority from marts.fct_ticket_sla where ticket_id = 'T_DONE_1'")
    assert sla == [{"priority": 2}]


def test_a_changed_clock_var_recomputes_every_ticket(runs: Runs) -> None:
    assert runs[1][3] == [3, 1, 2, 3]


def test_touched_tickets_are_those_with_new_raw_rows(runs: Runs) -> None:
    sets = runs[2]
    assert sets[0] == {"T_DONE_1": True, "T_DONE_2": True, "T_OPEN": True}  # first build: all
    # nothing new: only the running clock, recomputed from fct_sla_explain on (its spans end at no time yet)
    assert sets[1] == {"T_OPEN": False}
    assert sets[2] == {"T_DONE_1": True, "T_OPEN": False}  # the re-export touched T_DONE_1
    assert sets[3] == {"T_DONE_1": True, "T_DONE_2": True, "T_OPEN": True}  # changed clock var: all


def test_the_first_load_after_an_empty_build_recomputes_every_ticket_unfiltered(
    tmp_path: Path, dbt: Callable[..., str]
) -> None:
    """A watermark exists (the empty build) but every raw row is newer: every ticket is touched, so the run takes
    the unfiltered full recompute (refresh_after_load_id null) instead of filtering by a set holding them all."""
    warehouse = new_warehouse(tmp_path / "itsm.duckdb")
    dbt(SELECT, warehouse, tmp_path)  # 1: nothing loaded yet
    insert_rows(warehouse, "tickets", [_incident("T_DONE_1", 3, True), _incident("T_OPEN", 3, False)], load_id=1)
    dbt(SELECT, warehouse, tmp_path)  # 2: the first load
    assert query(warehouse, "select refresh_after_load_id from intermediate.int_ticket_refresh_bounds") == [
        {"refresh_after_load_id": None}
    ]
    assert _refreshed(warehouse) == [0, 2]
    assert _refresh_set(warehouse) == {"T_DONE_1": True, "T_OPEN": True}
    insert_rows(warehouse, "tickets", [_incident("T_NEW", 3, True)], load_id=2)
    dbt(SELECT, warehouse, tmp_path)  # 3: older rows exist now, so only the new ticket and the running clock
    assert query(warehouse, "select refresh_after_load_id from intermediate.int_ticket_refresh_bounds") == [
        {"refresh_after_load_id": 1}
    ]
    assert _refresh_set(warehouse) == {"T_NEW": True, "T_OPEN": False}
