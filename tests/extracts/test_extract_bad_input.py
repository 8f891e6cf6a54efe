"""Bad requests get a clear message, a non-zero exit, and leave nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest


def assert_refused(proc, message: str, tmp_path: Path, out: Path) -> None:
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no partial folder either


def test_unknown_kind(cli, hand_warehouse_master: Path, tmp_path: Path):
    out = tmp_path / "x"
    proc = cli(["extract", "tickets", "--from", "2026-10-01", "--to", "2026-10-31", "--out", str(out)],
                hand_warehouse_master)  # fmt: skip
    assert_refused(proc, "unknown extract kind 'tickets'; known kinds: availability, changes", tmp_path, out)


def test_inverted_date_range(cli, hand_warehouse_master: Path, tmp_path: Path):
    out = tmp_path / "x"
    proc = cli(["extract", "changes", "--from", "2026-10-31", "--to", "2026-10-01", "--out", str(out)],
                hand_warehouse_master)  # fmt: skip
    assert_refused(proc, "inverted date range: --from 2026-10-31 is after --to 2026-10-01", tmp_path, out)


def test_not_a_date(cli, hand_warehouse_master: Path, tmp_path: Path):
    out = tmp_path / "x"
    proc = cli(["extract", "changes", "--from", "2026-13-01", "--to", "2026-10-01", "--out", str(out)],
                hand_warehouse_master)  # fmt: skip
    assert_refused(proc, "not a date: '2026-13-01'", tmp_path, out)


@pytest.mark.parametrize("kind", ["changes", "sla-breaches", "data-quality", "lineage"])
def test_period_with_no_data(cli, hand_warehouse_master: Path, tmp_path: Path, kind: str):
    out = tmp_path / "x"
    proc = cli(["extract", kind, "--from", "2020-01-01", "--to", "2020-01-31", "--out", str(out)],
                hand_warehouse_master)  # fmt: skip
    assert_refused(proc, "no data for", tmp_path, out)


def test_unknown_service_is_a_period_with_no_data(cli, hand_warehouse_master: Path, tmp_path: Path):
    out = tmp_path / "x"
    proc = cli(["extract", "changes", "--from", "2026-10-01", "--to", "2026-10-31", "--service", "nope",
                 "--out", str(out)], hand_warehouse_master)  # fmt: skip
    assert_refused(proc, "for service 'nope'", tmp_path, out)


def test_month_without_breaches_is_an_empty_extract_not_an_error(cli, hand_warehouse_master: Path, tmp_path: Path):
    # December has no source records at all, but 2026-10-03..04 has tickets (T1, T2 open) and no breach:
    # "nothing breached" is evidence too, so the files are written with a header and no rows.
    out = tmp_path / "x"
    proc = cli(["extract", "sla-breaches", "--from", "2026-10-03", "--to", "2026-10-04", "--out", str(out)],
                hand_warehouse_master)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "sla_breaches: 0 rows" in proc.stdout
    assert (out / "sla_breaches.csv").read_text().startswith('"sla_id","ticket_id"')


def test_missing_mart_names_it(cli, hand_warehouse_master: Path, tmp_path: Path):
    out = tmp_path / "x"
    proc = cli(["extract", "availability", "--from", "2026-10-01", "--to", "2026-10-31", "--out", str(out)],
                hand_warehouse_master)  # fmt: skip
    assert_refused(proc, "needs marts.kpi_availability_monthly, marts.fct_outage", tmp_path, out)


def test_existing_output_folder_is_not_overwritten(cli, hand_warehouse_master: Path, tmp_path: Path):
    out = tmp_path / "x"
    out.mkdir()
    (out / "keep.txt").write_text("earlier evidence")
    proc = cli(["extract", "changes", "--from", "2026-10-01", "--to", "2026-10-31", "--out", str(out)],
                hand_warehouse_master)  # fmt: skip
    assert proc.returncode == 1 and "already exists and is not empty" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_failure_while_writing_leaves_nothing(cli, hand_warehouse: Path, tmp_path: Path):
    # A dataset query that fails after the checks passed (a mart lost a column): no partial folder remains.
    with duckdb.connect(str(hand_warehouse)) as conn:
        conn.execute("alter table marts.fct_sla_explain drop column clock")
    out = tmp_path / "x"
    proc = cli(["extract", "sla-breaches", "--from", "2026-10-01", "--to", "2026-10-31", "--out", str(out)],
                hand_warehouse)  # fmt: skip
    assert proc.returncode != 0
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".x")]


def test_failed_blocking_check_stops_the_extract_unless_allowed(cli, hand_warehouse: Path, tmp_path: Path):
    # A newer check run (r3) failed a blocking check: its numbers must not be published silently.
    with duckdb.connect(str(hand_warehouse)) as conn:
        conn.execute(
            """insert into dq.check_results (run_id, check_name, asset, severity, passed, observed_value,
               failing_row_count, failing_keys_sample, checked_at, status, check_type, engine, details)
               values ('r3', 'tickets_key_unique', 'staging.stg_raw__tickets', 'blocking', false, 2.0, 2,
                       '["T1"]', '2026-11-21 06:00Z', 'failed', 'unique', 'sql', 'hand-made')"""
        )
    out = tmp_path / "x"
    args = ["extract", "changes", "--from", "2026-10-01", "--to", "2026-10-31", "--no-pseudonymize", "--out", str(out)]
    assert_refused(cli(args, hand_warehouse), "failed 1 blocking check(s): tickets_key_unique", tmp_path, out)
    # The data-quality extract is the evidence of that failure: it is never blocked.
    dq_out = tmp_path / "dq"
    dq_args = ["extract", "data-quality", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(dq_out)]
    assert cli([*dq_args, "--no-pseudonymize"], hand_warehouse).returncode == 0
    # An explicit override extracts, and the manifest says both the override and the failure.
    allowed = cli([*args, "--allow-failed-checks"], hand_warehouse)
    assert allowed.returncode == 0, allowed.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["request"]["allow_failed_checks"] is True
    assert manifest["run_ids"]["dq_blocking_failed"] == 1
