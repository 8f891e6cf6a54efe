"""Bad requests get a clear message, a non-zero exit, and leave nothing behind."""

from __future__ import annotations

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
