"""Each extract kind on the hand-built warehouse (tests/extracts/audit_rows.py): exactly the expected rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from audit_cli import KEY, rows

from pipelines.extracts.request import ExtractRequest
from pipelines.extracts.runner import run_extract

OCTOBER = {"date_from": date(2026, 10, 1), "date_to": date(2026, 10, 31)}


def extract(warehouse: Path, out: Path, kind: str, **options: object) -> Path:
    run_extract(ExtractRequest(kind=kind, **{**OCTOBER, **options}), out, warehouse, KEY)
    return out


def test_changes_lists_unauthorized_emergency_and_failed_with_links(hand_warehouse_master: Path, tmp_path: Path):
    out = extract(hand_warehouse_master, tmp_path / "x", "changes")
    changes = {r["change_id"]: r["reasons"] for r in rows(out / "changes.parquet")}
    # C1 started 10-09 10:00 before approval 12:00 and caused T2 + O1; C2 emergency; C3 clean standard change
    # (not listed); C4 failed but finished 11-02 (November).
    assert changes == {"C1": "unauthorized;caused_failure", "C2": "emergency"}
    links = [(r["change_id"], r["link_type"], r["linked_id"]) for r in rows(out / "change_links.parquet")]
    assert links == [("C1", "incident", "T2"), ("C1", "outage", "O1")]


def test_changes_for_one_service(hand_warehouse_master: Path, tmp_path: Path):
    out = extract(hand_warehouse_master, tmp_path / "x", "changes", service="email")
    assert [r["change_id"] for r in rows(out / "changes.parquet")] == ["C2"]  # C1 is erp


def test_sla_breaches_by_breach_time_with_trace(hand_warehouse_master: Path, tmp_path: Path):
    out = extract(hand_warehouse_master, tmp_path / "x", "sla-breaches")
    # T1 resolution breached 10-02 14:00: in. T1 response met; T2 breached 11-01; T3 breached in September.
    breaches = rows(out / "sla_breaches.parquet")
    assert [r["sla_id"] for r in breaches] == ["T1:resolution:1"]
    assert breaches[0]["service"] == "email"
    trace = rows(out / "sla_breach_trace.parquet")
    assert [(r["sla_id"], r["piece_no"], r["clock"]) for r in trace] == [
        ("T1:resolution:1", 1, "counted"),
        ("T1:resolution:1", 2, "paused"),
    ]


def test_sla_breaches_of_november_include_open_ticket_past_target(hand_warehouse_master: Path, tmp_path: Path):
    out = run_extract(
        ExtractRequest(kind="sla-breaches", date_from=date(2026, 11, 1), date_to=date(2026, 11, 30)),
        tmp_path / "x",
        hand_warehouse_master,
        KEY,
    ).out_dir
    # T2 is still open; its resolution clock crossed the target 11-01 01:00.
    assert [r["sla_id"] for r in rows(out / "sla_breaches.parquet")] == ["T2:resolution:1"]


def test_data_quality_has_period_runs_and_latest_run(hand_warehouse_master: Path, tmp_path: Path):
    out = extract(hand_warehouse_master, tmp_path / "x", "data-quality")
    results = [(r["run_id"], r["check_name"], r["is_latest_run"]) for r in rows(out / "check_results.parquet")]
    # r1 ran in October; r2 (November) is the latest run; r0 (September) is neither.
    assert results == [
        ("r1", "priority_in_set", False),
        ("r1", "tickets_not_null", False),
        ("r2", "priority_in_set", True),
        ("r2", "tickets_not_null", True),
    ]
    runs = {
        r["run_id"]: (r["checks"], r["passed"], r["failed"], r["not_applicable"])
        for r in rows(out / "check_runs.parquet")
    }
    # r1: one pass, one failure; r2: one pass, one not applicable (passed is null, never counted as a pass).
    assert runs == {"r1": (2, 1, 1, 0), "r2": (2, 1, 0, 1)}


def test_data_quality_lists_every_acknowledgement(hand_warehouse: Path, tmp_path: Path):
    import duckdb

    from data_quality.acknowledgements import acknowledge

    with duckdb.connect(str(hand_warehouse)) as conn:
        acknowledge(conn, "raw_outages__started_at_before_ended_at", "OUT9|4", "end time lost at the source", "ops")
    out = extract(hand_warehouse, tmp_path / "x", "data-quality")
    acks = [
        (r["check_name"], r["key"], r["reason"], r["acknowledged_by"]) for r in rows(out / "acknowledgements.parquet")
    ]
    assert acks == [("raw_outages__started_at_before_ended_at", "OUT9|4", "end time lost at the source", "ops")]


def test_lineage_names_files_behind_the_period(hand_warehouse_master: Path, tmp_path: Path):
    out = extract(hand_warehouse_master, tmp_path / "x", "lineage")
    files = [(r["load_id"], r["source_file"], r["file_sha256"][:1]) for r in rows(out / "source_files.parquet")]
    # tickets_sep.csv (load 4) only supplied T3, which closed in September.
    assert files == [
        (1, "inbox/tickets_oct.csv", "a"),
        (2, "inbox/changes.csv", "b"),
        (3, "inbox/outages.csv", "c"),
        (5, "inbox/surveys.jsonl", "e"),
    ]
    per_table = [(r["load_id"], r["raw_table"], r["records_in_period"]) for r in rows(out / "source_rows.parquet")]
    # T1 + T2; C1-C4 (C4 was requested 10-28, so it was active in October); O1; S1.
    assert per_table == [(1, "tickets", 2), (2, "changes", 4), (3, "outages", 1), (5, "surveys", 1)]
    build = rows(out / "build_info.parquet")
    assert [(b["dbt_invocation_id"], b["last_load_id"], b["latest_dq_run_id"]) for b in build] == [("inv-123", 5, "r2")]
    # dagster-dbt target folder <op>-<run id[:7]>-<random>: the Dagster run that built the marts
    assert build[0]["marts_built_by"] == "dagster" and build[0]["dagster_run_id_prefix"] == "4f2a9c1"


@pytest.mark.parametrize("kind", ["changes", "sla-breaches", "data-quality", "lineage"])
def test_manifest_records_request_runs_rows_and_hashes(hand_warehouse_master: Path, tmp_path: Path, kind: str):
    result = run_extract(ExtractRequest(kind=kind, **OCTOBER), tmp_path / "x", hand_warehouse_master, KEY)
    manifest = result.manifest
    assert manifest["request"]["kind"] == kind
    assert manifest["request"]["date_from"] == "2026-10-01" and manifest["request"]["date_to"] == "2026-10-31"
    assert manifest["code_version"]["git_commit"] or manifest["code_version"]["package_version"]
    assert manifest["run_ids"]["dbt_invocation_id"] == "inv-123"
    assert manifest["run_ids"]["last_load_id"] == 5 and manifest["run_ids"]["dq_run_id"] == "r2"
    assert manifest["run_ids"]["marts_dagster_run_id_prefix"] == "4f2a9c1"
    listed = {f["name"]: f for f in manifest["files"]}
    for dataset in manifest["datasets"]:
        for suffix in ("csv", "parquet"):
            entry = listed[f"{dataset['name']}.{suffix}"]
            assert entry["rows"] == dataset["rows"]
            assert len(entry["sha256"]) == 64
    assert set(listed) == {p.name for p in result.out_dir.iterdir()} - {"manifest.json"}
