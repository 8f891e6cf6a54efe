"""`itsm check` end to end on a warehouse file, and the append-only dq.check_results table."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dq_rows import insert_raw, log_load, new_warehouse, ticket

from data_quality.results import RESULTS_COLUMNS, write_results
from data_quality.specs import CheckResult, Severity, Status
from pipelines.cli import main

PUBLISHED_COLUMNS = [
    "run_id",
    "check_name",
    "asset",
    "severity",
    "passed",
    "observed_value",
    "failing_row_count",
    "failing_keys_sample",
    "checked_at",
]


def _warehouse(path: Path, rows: list[dict]) -> Path:
    conn = new_warehouse(path)
    insert_raw(conn, "tickets", rows)
    log_load(conn, 1, len(rows), len(rows), 0)
    conn.close()
    return path


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    warehouse = tmp_path / "itsm.duckdb"
    monkeypatch.setenv("ITSM_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "no_dbt_target"))
    return warehouse


def test_blocking_failure_exits_nonzero_and_names_check_and_keys(env: Path, capsys):
    _warehouse(env, [ticket("INC1"), ticket("INC2", priority=9)])
    code = main(["check", "--as-of", "2025-01-07T00:00:00+00:00", "--failures-only"])
    out = capsys.readouterr().out
    assert code == 1
    line = next(ln for ln in out.splitlines() if "raw_tickets__priority__in_set" in ln)
    assert line.split()[:2] == ["FAILED", "blocking"]
    assert "INC2|1" in line and " 1 " in line
    assert "blocking failure(s)" in out


def test_only_warnings_exit_zero_and_are_recorded(env: Path, capsys):
    _warehouse(env, [ticket("INC1"), ticket("INC1")])  # duplicate inside one load: a warning
    code = main(["check", "--as-of", "2025-01-07T00:00:00+00:00"])
    out = capsys.readouterr().out
    assert code == 0
    assert "0 blocking failure(s)" in out
    with duckdb.connect(str(env), read_only=True) as conn:
        row = conn.execute(
            """select severity, passed, failing_row_count, failing_keys_sample, status from dq.check_results
               where check_name = 'raw_tickets__key_unique_per_load'"""
        ).fetchone()
        not_applicable = conn.execute(
            "select count(*) from dq.check_results where status = 'not_applicable' and passed is not null"
        ).fetchone()[0]
    assert row == ("warning", False, 2, '["INC1|1"]', "failed")
    assert not_applicable == 0  # a not-applicable check never reads as passed


def test_check_results_are_append_only_with_published_columns(tmp_path: Path):
    conn = new_warehouse(tmp_path / "w.duckdb")
    result = CheckResult("c1", "raw.tickets", Severity.BLOCKING, Status.FAILED, 50.0, 1, ["INC2|1"])
    write_results(conn, "run-a", [result])
    write_results(conn, "run-b", [result, result])
    columns = [r[0] for r in conn.execute("describe dq.check_results").fetchall()]
    runs = conn.execute("select run_id, count(*) from dq.check_results group by run_id order by run_id").fetchall()
    sample = conn.execute("select failing_keys_sample from dq.check_results limit 1").fetchone()[0]
    conn.close()
    assert columns[: len(PUBLISHED_COLUMNS)] == PUBLISHED_COLUMNS
    assert columns == [name for name, _ in RESULTS_COLUMNS]
    assert runs == [("run-a", 1), ("run-b", 2)]  # the second write added, nothing replaced
    assert json.loads(sample) == ["INC2|1"]


def test_second_itsm_check_reuses_the_validated_load(env: Path, capsys):
    _warehouse(env, [ticket("INC1"), ticket("INC2", priority=9)])
    codes = [main(["check", "--as-of", "2025-01-07T00:00:00+00:00"]) for _ in range(2)]
    capsys.readouterr()
    with duckdb.connect(str(env), read_only=True) as conn:
        rows = conn.execute(
            """select failing_row_count, failing_keys_sample, details from dq.check_results
               where check_name = 'raw_tickets__priority__in_set' order by checked_at"""
        ).fetchall()
    assert codes == [1, 1]  # INC2's priority 9 blocks both runs
    assert [r[:2] for r in rows] == [(1, '["INC2|1"]'), (1, '["INC2|1"]')]
    assert "1 validated now, 0 by earlier runs" in rows[0][2]
    assert "0 validated now, 1 by earlier runs" in rows[1][2]


def test_itsm_check_with_full_refresh_validates_every_load_again(env: Path, capsys, monkeypatch: pytest.MonkeyPatch):
    _warehouse(env, [ticket("INC1"), ticket("INC2", priority=9)])
    assert main(["check", "--as-of", "2025-01-07T00:00:00+00:00"]) == 1
    monkeypatch.setenv("ITSM_FULL_REFRESH", "1")  # as `itsm run --full-refresh` sets it
    assert main(["check", "--as-of", "2025-01-07T00:00:00+00:00"]) == 1
    capsys.readouterr()
    with duckdb.connect(str(env), read_only=True) as conn:
        rows = conn.execute(
            """select failing_keys_sample, details from dq.check_results
               where check_name = 'raw_tickets__priority__in_set' order by checked_at"""
        ).fetchall()
    # both runs validated load 1 (nothing reused by the second) and found INC2's priority 9
    assert [keys for keys, _ in rows] == ['["INC2|1"]', '["INC2|1"]']
    assert all("1 validated now, 0 by earlier runs" in details for _, details in rows)
