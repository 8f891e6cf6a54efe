"""The demo's seeded defects are caught: visible in `itsm check` and in dq.check_results, without blocking the demo.

Uses the shared session fixture (tests/conftest.py: demo data + a real `itsm run`), so the checks here are the
ones Dagster ran as asset checks during that run, plus one `itsm check` afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ITSM = Path(sys.executable).with_name("itsm")
# The demo window ends 2026-11-01 00:00 UTC: judge freshness six hours later, as a daily run would.
AS_OF = "2026-11-01T06:00:00+00:00"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def checked(demo_env: dict[str, str], demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    env = {**demo_env, "DBT_TARGET_PATH": str(tmp_path_factory.mktemp("no_dbt_target"))}
    proc = subprocess.run([str(ITSM), "check", "--as-of", AS_OF], env=env, capture_output=True, text=True, check=False)
    defects = json.loads((Path(demo_env["ITSM_INBOX"]) / ".defects.json").read_text())["defects"]
    return proc, defects, demo_warehouse


def _latest(warehouse: Path, check_name: str) -> tuple:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            """select status, failing_row_count, failing_keys_sample from dq.check_results
               where check_name = ? order by checked_at desc limit 1""",
            [check_name],
        ).fetchone()


def test_demo_passes_its_blocking_checks(checked):
    proc, _, _ = checked
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 blocking failure(s)" in proc.stdout


def test_every_seeded_defect_is_visible_with_file_line_or_key(checked):
    proc, defects, warehouse = checked
    q_status, q_count, q_sample = _latest(warehouse, "raw_quarantine__rejected_rows")
    quarantined = json.loads(q_sample)
    _, _, dup_sample = _latest(warehouse, "raw_tickets__key_unique_per_load")
    flagged_keys = [k.split("|")[0] for k in json.loads(dup_sample)]
    for d in defects:
        in_quarantine = any(k.startswith(f"{d['file']}:{d['line_number']} ") for k in quarantined)
        # an exact duplicate row is either quarantined by the loader or caught by the per-load key check
        flagged = d["kind"] == "duplicate_row" and d["key"] in flagged_keys
        assert in_quarantine or flagged, (d, quarantined, flagged_keys)
    # every quarantined row is one of the seeded defects: the generator plants no others
    assert q_status == "failed" and q_count == sum(
        any(k.startswith(f"{d['file']}:{d['line_number']} ") for k in quarantined) for d in defects
    )
    summary = next(ln for ln in proc.stdout.splitlines() if "raw_quarantine__rejected_rows" in ln)
    assert summary.split()[:2] == ["FAILED", "warning"] and f" {q_count} " in summary


def test_dagster_run_recorded_its_checks_before_itsm_check(checked):
    _, _, warehouse = checked
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        runs = conn.execute(
            """select run_id, count(*) filter (where engine = 'great_expectations'),
                      bool_or(check_name = 'staging_to_fct_incident__tickets' and status = 'passed'),
                      count(*) filter (where engine = 'dbt')
               from dq.check_results group by run_id order by min(checked_at)"""
        ).fetchall()
    assert len(runs) >= 2  # the Dagster asset checks of `itsm run`, then `itsm check`
    dagster_run = runs[0]
    assert dagster_run[1] > 0
    assert dagster_run[2]  # every incident in staging reached fct_incident during the run
    assert dagster_run[3] > 0  # the dbt tests of that run's `dbt build`, recorded under the same run id
