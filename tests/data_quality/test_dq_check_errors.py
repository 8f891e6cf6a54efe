"""A check that breaks records "error" with its message, for itself only; values never make a check raise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from dq_rows import by_name, insert_raw, new_warehouse, ticket, ts

from data_quality.runner import AssetChecks, checks_by_asset
from data_quality.specs import FreshnessCheck, Status
from data_quality.sql_checks import check_freshness
from data_quality.suites import FRESHNESS_CHECKS

FRESHNESS = {c.relation: c for c in FRESHNESS_CHECKS}
AS_OF = datetime(2025, 1, 8, 8, tzinfo=UTC)


@pytest.fixture
def conn():
    connection = new_warehouse()
    yield connection
    connection.close()


def _tickets_group() -> AssetChecks:
    return next(g for g in checks_by_asset() if g.asset_key == ("raw", "tickets"))


def test_year_10000_opened_at_does_not_make_freshness_raise(conn):
    insert_raw(conn, "tickets", [ticket("INC1")])
    conn.execute("update raw.tickets set opened_at = '10000-01-01 00:00+00'")  # Python's datetime stops at 9999
    result = check_freshness(conn, FRESHNESS["raw.tickets"], as_of=AS_OF)
    # newest opened_at is in the future: judged (a failure saying so), never a negative age that passes
    assert result.status is Status.FAILED
    assert result.observed_value < 0
    assert "10000-01-01" in result.details and "a timestamp from the future" in result.details


def test_bc_opened_at_is_judged_stale_not_raised(conn):
    insert_raw(conn, "tickets", [ticket("INC1")])
    conn.execute("update raw.tickets set opened_at = make_timestamptz(-43, 3, 15, 0, 0, 0)")  # 44 BC
    result = check_freshness(conn, FRESHNESS["raw.tickets"], as_of=AS_OF)
    assert result.status is Status.FAILED  # about 2068 years old, far beyond 48 h
    assert result.observed_value > 2000 * 365 * 24
    assert "BC" in result.details


def test_a_check_that_raises_is_an_error_of_its_own_and_the_others_of_the_table_still_run(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2", priority=9)])
    group = _tickets_group()
    freshness = next(c for c in group.checks if isinstance(c, FreshnessCheck))
    broken = replace(freshness, column="no_such_column")  # DuckDB raises a BinderException
    checks = tuple(broken if c is freshness else c for c in group.checks)
    results = by_name(replace(group, checks=checks).run(conn, AS_OF))
    error = results[broken.name]
    assert error.status is Status.ERROR
    assert error.passed is False and error.blocks is False  # a warning check: an error is shown, never a pass
    assert "BinderException" in error.details and "no_such_column" in error.details
    # every other check of raw.tickets ran and kept its own outcome
    others = [r for name, r in results.items() if name != broken.name]
    assert len(others) == len(group.check_specs) - 1
    assert Status.ERROR not in {r.status for r in others}
    assert results["raw_tickets__priority__in_set"].status is Status.FAILED  # INC2's priority 9
    assert results["raw_tickets__state__not_null"].status is Status.PASSED


def test_a_raising_table_suite_errors_only_its_own_rules(conn):
    insert_raw(conn, "tickets", [ticket("INC1", opened_at=ts("2025-01-07 09:00"))])
    group = _tickets_group()
    (suite,) = group.table_suites
    bogus = replace(suite.expectations[1], name="bogus_rule", kind="bogus")  # build_expectation raises ValueError
    broken = replace(suite, name="broken", expectations=(bogus,))
    results = by_name(replace(group, table_suites=(broken, suite)).run(conn, AS_OF))
    assert results["bogus_rule"].status is Status.ERROR
    assert "unknown expectation kind 'bogus'" in results["bogus_rule"].details
    assert Status.ERROR not in {r.status for name, r in results.items() if name != "bogus_rule"}
    assert results["raw_tickets__state__not_null"].status is Status.PASSED
    freshness = next(c for c in group.checks if isinstance(c, FreshnessCheck))
    assert results[freshness.name].status is Status.PASSED  # newest 2025-01-07 09:00: 23 h old at AS_OF
