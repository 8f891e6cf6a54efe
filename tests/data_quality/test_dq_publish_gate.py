"""The publishing gate needs a complete, passed check run: a missing check is a failure, never a pass."""

from __future__ import annotations

import pytest
from dq_rows import new_warehouse

from data_quality.results import write_results
from data_quality.run_steps import DBT_STEP, RAW_STEP, publish_problem, record_step
from data_quality.specs import CheckResult, Severity, Status


@pytest.fixture
def conn():
    connection = new_warehouse()
    yield connection
    connection.close()


def result(name: str, status: Status, severity: Severity = Severity.BLOCKING) -> CheckResult:
    return CheckResult(name, "raw.tickets", severity, status)


def test_no_check_run_at_all_is_refused(conn):
    assert "no data-quality check run is recorded" in publish_problem(conn)


def test_a_run_whose_dbt_step_never_finished_is_refused(conn):
    # a run killed during dbt: the raw step recorded its results and finished, the staging / mart step never ran
    write_results(conn, "r1", [result("raw_tickets__state__not_null", Status.PASSED)])
    record_step(conn, "r1", RAW_STEP, 1)
    problem = publish_problem(conn)
    assert "latest data-quality run (r1) did not finish" in problem and DBT_STEP in problem


def test_a_complete_passed_run_publishes(conn):
    write_results(conn, "r1", [result("a", Status.PASSED), result("b", Status.FAILED, Severity.WARNING)])
    record_step(conn, "r1", RAW_STEP, 2)
    record_step(conn, "r1", DBT_STEP, 0)
    assert publish_problem(conn) is None


def test_a_blocking_error_is_refused_like_a_failure(conn):
    write_results(conn, "r1", [result("a", Status.ERROR)])
    record_step(conn, "r1", RAW_STEP, 1)
    record_step(conn, "r1", DBT_STEP, 0)
    assert "failed 1 blocking check(s): a" in publish_problem(conn)


def test_an_earlier_complete_run_does_not_cover_a_later_incomplete_one(conn):
    write_results(conn, "r1", [result("a", Status.PASSED)])
    record_step(conn, "r1", RAW_STEP, 1)
    record_step(conn, "r1", DBT_STEP, 0)
    write_results(conn, "r2", [result("a", Status.PASSED)])  # checked_at later: r2 is the latest run
    record_step(conn, "r2", RAW_STEP, 1)
    assert "(r2) did not finish" in publish_problem(conn)
