"""fct_backlog_daily across incremental runs: the per-ticket models refresh only the touched incidents and the
backlog is rebuilt from them, checked against hand-computed backlogs after each of four dbt runs on one warehouse.

All incidents are on service email (support calendar uk_business, Europe/London: GMT = UTC in January), so
local days are UTC days. Age buckets: 0-1, 2-5, 6-30 days since the opening day.

run 1 (load 1, as_of Fri 01-09 17:00): A P3 opened Mon 01-05 10:00, resolved Thu 01-08 12:00;
    B P3 opened Tue 01-06 09:00, open; C P3 opened 01-05 11:00, resolved 01-05 15:00.
run 2 (load 2, as_of Mon 01-12 17:00, so four new days): A corrected, resolved Tue 01-06 12:00 (into an
    earlier day); D P2 opened Wed 01-07 09:00, open (a new group).
run 3 (load 3, same as_of): A's opening corrected to 01-06 08:00 and C re-typed as a request (P3's first day
    moves from 01-05 to 01-06); E P2 opened and resolved Sat 01-03 (P2's first day moves from 01-07 to 01-03).
run 4 (nothing new): fct_backlog_daily was edited by hand first; the run rebuilds it from every incident.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from kpi_raw_rows import insert_rows, new_warehouse, query

SELECT = ["build", "--select", "+int_ticket_refresh_watermark", "+fct_backlog_daily"]
SELECT += ["--indirect-selection", "cautious"]
AS_OF_1 = {"as_of": "2026-01-09 17:00:00+00"}
AS_OF_2 = {"as_of": "2026-01-12 17:00:00+00"}

# (calendar_date, priority) -> (open_age_0_1, open_age_2_5, open_age_6_30, opened, resolved)
Backlog = dict[tuple[str, int], tuple[int, int, int, int, int]]


def _incident(ticket_id: str, priority: int, opened: str, resolved: str | None, kind: str = "incident") -> dict:
    return {
        "ticket_id": ticket_id,
        "ticket_type": kind,
        "opened_at": f"2026-{opened}Z",
        "resolved_at": f"2026-{resolved}Z" if resolved else None,
        "state": "resolved" if resolved else "in_progress",
        "priority": priority,
        "service": "email",
    }


def _backlog(warehouse: Path) -> Backlog:
    rows = query(
        warehouse,
        "select calendar_date, priority, open_age_0_1, open_age_2_5, open_age_6_30, opened, resolved, "
        "open_incidents, open_age_31_90 + open_age_over_90 as older, backlog_growth from marts.fct_backlog_daily",
    )
    for r in rows:
        assert r["open_incidents"] == r["open_age_0_1"] + r["open_age_2_5"] + r["open_age_6_30"] + r["older"]
        assert r["older"] == 0 and r["backlog_growth"] == r["opened"] - r["resolved"]
    return {
        (str(r["calendar_date"])[5:], r["priority"]): (
            r["open_age_0_1"], r["open_age_2_5"], r["open_age_6_30"], r["opened"], r["resolved"]
        )
        for r in rows
    }  # fmt: skip


def _refreshed(warehouse: Path) -> int:
    """How many tickets the run's per-ticket models recomputed (newest watermark row)."""
    [row] = query(
        warehouse,
        "select tickets_refreshed from intermediate.int_ticket_refresh_watermark order by refreshed_at desc limit 1",
    )
    return row["tickets_refreshed"]


Runs = tuple[list[Backlog], list[int]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Runs:
    work = tmp_path_factory.mktemp("backlog_refresh")
    warehouse = new_warehouse(work / "itsm.duckdb")
    backlogs: list[Backlog] = []
    refreshed: list[int] = []

    def run(vars_: dict[str, str]) -> None:
        dbt(SELECT, warehouse, work, vars_)
        backlogs.append(_backlog(warehouse))
        refreshed.append(_refreshed(warehouse))

    insert_rows(
        warehouse,
        "tickets",
        [
            _incident("A", 3, "01-05 10:00", "01-08 12:00"),
            _incident("B", 3, "01-06 09:00", None),
            _incident("C", 3, "01-05 11:00", "01-05 15:00"),
        ],
    )
    run(AS_OF_1)
    insert_rows(
        warehouse,
        "tickets",
        [_incident("A", 3, "01-05 10:00", "01-06 12:00"), _incident("D", 2, "01-07 09:00", None)],
        load_id=2,
    )
    run(AS_OF_2)
    insert_rows(
        warehouse,
        "tickets",
        [
            _incident("A", 3, "01-06 08:00", "01-06 12:00"),
            _incident("C", 3, "01-05 11:00", "01-05 15:00", kind="request"),
            _incident("E", 2, "01-03 09:00", "01-03 12:00"),
        ],
        load_id=3,
    )
    run(AS_OF_2)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("update marts.fct_backlog_daily set open_age_0_1 = 99 where calendar_date = '2026-01-07'")
    run(AS_OF_2)
    return backlogs, refreshed


def test_later_runs_recompute_only_the_touched_and_running_tickets(runs: Runs) -> None:
    # run 1 builds every ticket; run 2: A and D touched, B's clock runs; run 3: A, C, E touched, B and D run;
    # run 4: nothing touched, B and D still run
    assert runs[1] == [3, 3, 5, 2]


def test_first_build_counts_every_incident(runs: Runs) -> None:
    assert runs[0][0] == {
        ("01-05", 3): (1, 0, 0, 2, 1),  # A (age 0) open; A and C opened, C resolved the same day
        ("01-06", 3): (2, 0, 0, 1, 0),  # A (age 1) and B (age 0)
        ("01-07", 3): (1, 1, 0, 0, 0),  # A 2 days old, B 1
        ("01-08", 3): (0, 1, 0, 0, 1),  # A resolved; B 2 days old
        ("01-09", 3): (0, 1, 0, 0, 0),  # B 3 days old; rows end at the as_of day
    }


def test_a_resolution_corrected_into_an_earlier_day_and_new_days(runs: Runs) -> None:
    assert runs[0][1] == {
        ("01-05", 3): (1, 0, 0, 2, 1),
        ("01-06", 3): (1, 0, 0, 1, 1),  # A now leaves on 01-06 (resolved 12:00): only B is open
        ("01-07", 3): (1, 0, 0, 0, 0),  # B 1 day old
        ("01-08", 3): (0, 1, 0, 0, 0),  # no resolution left on 01-08
        ("01-09", 3): (0, 1, 0, 0, 0),
        ("01-10", 3): (0, 1, 0, 0, 0),  # B 4 days old
        ("01-11", 3): (0, 1, 0, 0, 0),  # 5 days
        ("01-12", 3): (0, 0, 1, 0, 0),  # 6 days: bucket 6-30
        ("01-07", 2): (1, 0, 0, 1, 0),  # D opened
        ("01-08", 2): (1, 0, 0, 0, 0),
        ("01-09", 2): (0, 1, 0, 0, 0),  # D 2 days old
        ("01-10", 2): (0, 1, 0, 0, 0),
        ("01-11", 2): (0, 1, 0, 0, 0),
        ("01-12", 2): (0, 1, 0, 0, 0),  # 5 days
    }


THIRD = {
    ("01-06", 3): (1, 0, 0, 2, 1),  # A and B opened, A resolved the same day; B open. No 01-05 row any more
    ("01-07", 3): (1, 0, 0, 0, 0),
    ("01-08", 3): (0, 1, 0, 0, 0),
    ("01-09", 3): (0, 1, 0, 0, 0),
    ("01-10", 3): (0, 1, 0, 0, 0),
    ("01-11", 3): (0, 1, 0, 0, 0),
    ("01-12", 3): (0, 0, 1, 0, 0),
    ("01-03", 2): (0, 0, 0, 1, 1),  # E opened and resolved: P2 rows now start here
    ("01-04", 2): (0, 0, 0, 0, 0),
    ("01-05", 2): (0, 0, 0, 0, 0),
    ("01-06", 2): (0, 0, 0, 0, 0),
    ("01-07", 2): (1, 0, 0, 1, 0),
    ("01-08", 2): (1, 0, 0, 0, 0),
    ("01-09", 2): (0, 1, 0, 0, 0),
    ("01-10", 2): (0, 1, 0, 0, 0),
    ("01-11", 2): (0, 1, 0, 0, 0),
    ("01-12", 2): (0, 1, 0, 0, 0),
}


def test_groups_whose_first_day_moves_later_or_earlier(runs: Runs) -> None:
    assert runs[0][2] == THIRD


def test_an_edited_backlog_is_rebuilt_not_added_to(runs: Runs) -> None:
    assert runs[0][3] == THIRD  # the hand-edited 99s are gone: rebuilt from every incident
