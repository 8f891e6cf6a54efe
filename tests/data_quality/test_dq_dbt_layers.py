"""Against a real dbt build: dbt test outcomes recorded as check results, and the staging checks on real views.

One module-scoped dbt setup (build `services` + `stg_raw__tickets`, then test the raw tickets source) over hand-built
raw rows: INC1 exported twice (loads 1 and 2), INC2 and INC3 once, and one row without ticket_type (a dbt
not_null source test fails on it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from dq_rows import insert_raw, new_warehouse, ticket

from data_quality.dbt_results import (
    dbt_test_results,
    latest_run_results_dir,
    record_dbt_tests_of_run,
)
from data_quality.results import write_results
from data_quality.runner import run_table_suite
from data_quality.specs import Severity, Status
from data_quality.sql_checks import check_layers
from data_quality.suites import RECONCILIATIONS, STAGING_SUITES
from pipelines.settings import DBT_PROJECT_DIR

DBT = Path(os.sys.executable).with_name("dbt")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, dbt) -> tuple[Path, Path, subprocess.CompletedProcess]:
    work = tmp_path_factory.mktemp("dbt_layers")
    warehouse = work / "itsm.duckdb"
    conn = new_warehouse(warehouse)
    insert_raw(
        conn, "tickets", [ticket("INC1"), ticket("INC2", service="crm_legacy"), ticket("INC4", ticket_type=None)]
    )
    insert_raw(conn, "tickets", [ticket("INC1", state="closed"), ticket("INC3")], load_id=2)
    conn.close()
    env = {
        **os.environ,
        "ITSM_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dirs = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    # Separate invocations: in one `dbt build` the failing source test would skip the staging view.
    # cautious: leave out tests that also need models outside the selection (marts); fails with dbt's output
    dbt(["build", "--select", "services", "stg_raw__tickets", "--indirect-selection", "cautious"], warehouse, work)
    test = [str(DBT), "test", "--select", "source:raw.tickets", "--indirect-selection", "cautious", *dirs]
    proc = subprocess.run(test, env=env, capture_output=True, text=True, check=False)
    return warehouse, work / "target", proc


def test_failed_dbt_test_is_recorded_as_blocking_failure(built):
    _, target, proc = built
    assert proc.returncode == 1, proc.stdout[-3000:]  # the not_null test fails, so dbt test exits 1
    results = {r.check_name: r for r in dbt_test_results(target)}
    failed = results["dbt:source_not_null_raw_tickets_ticket_type"]
    assert (failed.status, failed.failing_row_count, failed.severity) == (Status.FAILED, 1, Severity.BLOCKING)
    assert failed.asset == "raw.tickets" and failed.engine == "dbt"
    passed = results["dbt:source_not_null_raw_tickets_ticket_id"]
    assert (passed.status, passed.failing_row_count) == (Status.PASSED, 0)


def test_dbt_outcomes_are_appended_under_the_run_id(built, tmp_path: Path):
    _, target, _ = built
    assert latest_run_results_dir(target.parent) == target  # found by searching the folder above
    conn = new_warehouse(tmp_path / "results.duckdb")
    try:
        written = write_results(conn, "run-x", dbt_test_results(target))
        rows = conn.execute(
            "select count(*), count(*) filter (where not passed) from dq.check_results where run_id = 'run-x'"
        ).fetchone()
    finally:
        conn.close()
    # the source has one not_null test per required column (ticket_id, ticket_type, opened_at, state, priority);
    # only ticket_type fails
    assert written == rows[0] == 5
    assert rows[1] == 1


def test_dbt_tests_of_a_dagster_run_are_recorded_once(built, tmp_path: Path):
    _, target, _ = built
    # dagster-dbt's folder name for an invocation in run abcdef1...: <op>-<run id[:7]>-<random>
    shutil.copytree(target, tmp_path / "targets" / "itsm_dbt_models-abcdef1-0f0f0f0")
    shutil.copytree(target, tmp_path / "targets" / "itsm_dbt_models-9999999-0f0f0f0")  # another run's
    conn = new_warehouse(tmp_path / "results.duckdb")
    try:
        first = record_dbt_tests_of_run(conn, "abcdef12-3456", tmp_path / "targets")
        second = record_dbt_tests_of_run(conn, "abcdef12-3456", tmp_path / "targets")
    finally:
        conn.close()
    assert (first, second) == (5, 0)  # the 5 source tests once; the second check step finds them recorded


def test_no_run_results_means_no_dbt_rows(tmp_path: Path):
    assert dbt_test_results(tmp_path) == []


def test_staging_view_checks_on_the_real_dbt_view(built):
    warehouse, _, _ = built
    conn = new_warehouse(warehouse)
    try:
        suite = next(s for s in STAGING_SUITES if s.relation == "staging.stg_raw__tickets")
        results = {r.check_name: r for r in run_table_suite(conn, suite)}
        layers = check_layers(conn, next(c for c in RECONCILIATIONS if c.name == "raw_to_staging__tickets"))
    finally:
        conn.close()
    # INC1 is in raw twice but once in the latest view
    assert results["stg_tickets__key_unique"].status is Status.PASSED
    # INC2's service 'crm_legacy' is not in seeds/services.csv
    link = results["stg_tickets__service__in_services"]
    assert (link.status, link.failing_keys_sample) == (Status.FAILED, ["INC2"])
    # 4 distinct raw ids (INC1-4) -> 4 rows in staging, none lost, none duplicated
    assert (layers.status, layers.observed_value) == (Status.PASSED, 4.0)
