"""Period close against real dbt marts: close, refuse a second close, restatement after a late correction,
forced re-close. The raw rows are hand-made; kpi_change_monthly, kpi_monthly_long and kpi_restatements are the
real dbt models.

October 2026, service erp, assignment group g:
- C1 normal, successful; C2 normal, unsuccessful  -> normal changes: success 1 / 2 = 50 %
- C3 emergency, successful                        -> emergency changes: success 1 / 1 = 100 %
Late correction: a re-export (load 2) says C2 was in fact successful -> normal success 2 / 2 = 100 %.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from audit_rows import insert_raw, record_check_run

from pipelines.extracts.period_close import SNAPSHOT_TABLE, close_period, ensure_snapshot_table
from pipelines.extracts.request import ExtractError
from pipelines.extracts.verify import verify_extract
from pipelines.ingest.schema import ensure_raw_schema

SELECT = ["--select", "+kpi_restated_months", "audit_build_info", "--indirect-selection", "cautious"]
NORMAL = ("kpi_change_monthly", "assignment_group=g|change_type=normal|service=erp")
SCORECARD = ("kpi_service_monthly", "service=erp")


def change(change_id: str, change_type: str, close_code: str) -> dict[str, object]:
    return {
        "change_id": change_id, "change_type": change_type, "service": "erp", "assignment_group": "g",
        "requested_at": "2026-10-01 08:00Z", "approved_at": "2026-10-02 08:00Z",
        "actual_start": "2026-10-03 08:00Z", "actual_end": "2026-10-03 09:00Z", "close_code": close_code,
        "state": "closed",
    }  # fmt: skip


def restated_month(warehouse: Path) -> tuple:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select snapshot_id, kpis_restated > 0, is_restated from marts.kpi_restated_months"
        ).fetchall()[0]


def restatements(warehouse: Path) -> dict[tuple[str, str, str], tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        found = conn.execute(
            """select source_mart, dimension_key, kpi, reported_value, current_value, difference, restatement_status,
                      snapshot_id
               from marts.kpi_restatements where period_month = date '2026-10-01'"""
        ).fetchall()
    return {(r[0], r[1], r[2]): r[3:] for r in found}


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> dict[str, object]:
    """Runs the whole close / correct / re-close story once; the tests check each step's recorded outcome."""
    root = tmp_path_factory.mktemp("close")
    warehouse = root / "itsm.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        ensure_raw_schema(conn)
        for n, (cid, ctype, code) in enumerate(
            [("C1", "normal", "successful"), ("C2", "normal", "unsuccessful"), ("C3", "emergency", "successful")], 1
        ):
            insert_raw(conn, "changes", change(cid, ctype, code), 1, n, file="changes_oct.csv")
    dbt(["build", *SELECT], warehouse, root)
    record_check_run(warehouse)
    out = root / "build"
    story: dict[str, object] = {"warehouse": warehouse}
    story["first"] = close_period("2026-10", warehouse, out)
    story["before_correction"] = restatements(warehouse)
    story["month_before_correction"] = restated_month(warehouse)
    with pytest.raises(ExtractError) as refused:
        close_period("2026-10", warehouse, out)
    story["refusal"] = str(refused.value)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        insert_raw(conn, "changes", change("C2", "normal", "successful"), 2, 1, file="changes_oct_corrected.csv")
    dbt(["build", *SELECT], warehouse, root)
    story["after_correction"] = restatements(warehouse)
    story["month_after_correction"] = restated_month(warehouse)
    story["forced"] = close_period("2026-10", warehouse, out, force=True)
    story["after_forced_close"] = restatements(warehouse)
    story["month_after_forced_close"] = restated_month(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        story["snapshots"] = conn.execute(
            f"""select snapshot_id, forced, count(*), any_value(manifest_sha256) from {SNAPSHOT_TABLE}
                group by all order by snapshot_id"""
        ).fetchall()
    return story


def test_close_writes_snapshot_and_verifiable_evidence(story: dict[str, object]):
    first = story["first"]
    assert first.snapshot_id == 1 and not first.forced
    evidence = pq.read_table(first.extract.out_dir / "kpi_snapshot.parquet").to_pylist()
    changes = [r for r in evidence if r["source_mart"] == "kpi_change_monthly"]
    # kpi_change_monthly has 25 measures; two rows (normal, emergency) in October -> 50 KPI values.
    assert len(changes) == 50
    assert first.rows == len(evidence)
    assert verify_extract(first.extract.out_dir, first.extract.manifest_sha256).ok
    assert story["snapshots"][0] == (1, False, first.rows, first.extract.manifest_sha256)


def test_right_after_close_nothing_is_restated(story: dict[str, object]):
    before = story["before_correction"]
    assert len(before) == story["first"].rows
    assert before[(*NORMAL, "change_success_pct")] == (50.0, 50.0, 0.0, "unchanged", 1)
    assert {status for *_, status, _ in before.values()} == {"unchanged"}
    assert story["month_before_correction"] == (1, False, False)


def test_second_close_is_refused_with_a_clear_message(story: dict[str, object]):
    assert "2026-10 is already closed (snapshot 1" in story["refusal"]
    assert "use --force" in story["refusal"]


def test_late_correction_shows_as_restated(story: dict[str, object]):
    after = story["after_correction"]
    # reported 1/2 = 50 %, current 2/2 = 100 %, difference +50 points
    assert after[(*NORMAL, "change_success_pct")] == (50.0, 100.0, 50.0, "restated", 1)
    # failed / backed out: 1 -> 0 changes
    assert after[(*NORMAL, "changes_failed_or_backed_out")] == (1.0, 0.0, -1.0, "restated", 1)
    # the volume did not change, and the emergency row did not either
    assert after[(*NORMAL, "changes_total")][3] == "unchanged"
    emergency = [v for (_, dim, _), v in after.items() if "change_type=emergency" in dim]
    assert emergency and all(v[3] == "unchanged" for v in emergency)
    # The service scorecard restates too: erp's three changes, 2 of 3 successful (66.7 %) -> 3 of 3 (100 %).
    reported, current, difference, status, _ = after[(*SCORECARD, "change_success_pct")]
    assert (reported, current, status) == (pytest.approx(200 / 3), 100.0, "restated")
    assert difference == pytest.approx(100 / 3)
    # what the dashboards read: October is flagged as restated
    assert story["month_after_correction"] == (1, True, True)


def test_forced_close_appends_a_new_as_reported_snapshot(story: dict[str, object]):
    forced = story["forced"]
    assert forced.snapshot_id == 2 and forced.forced
    # snapshot 1 is kept untouched (append-only); snapshot 2 is the new as-reported figure
    rows = story["first"].rows
    assert [s[:3] for s in story["snapshots"]] == [(1, False, rows), (2, True, rows)]
    assert story["after_forced_close"][(*NORMAL, "change_success_pct")] == (100.0, 100.0, 0.0, "unchanged", 2)
    assert story["month_after_forced_close"] == (2, False, False)


def test_python_and_dbt_define_the_same_snapshot_table(story: dict[str, object], tmp_path: Path):
    def columns(path: Path) -> list[tuple]:
        with duckdb.connect(str(path), read_only=True) as conn:
            return conn.execute(
                """select column_name, data_type, is_nullable from information_schema.columns
                   where table_schema = 'audit' and table_name = 'kpi_snapshots' order by ordinal_position"""
            ).fetchall()

    fresh = tmp_path / "fresh.duckdb"
    with duckdb.connect(str(fresh)) as conn:
        ensure_snapshot_table(conn)
    # story's table was created by the dbt pre-hook of kpi_restatements (dbt ran before the first close)
    assert columns(fresh) == columns(story["warehouse"])
    assert len(columns(fresh)) == 10


def test_close_of_a_month_without_kpis_is_refused(story: dict[str, object], tmp_path: Path):
    with pytest.raises(ExtractError, match="no KPIs for 2025-01"):
        close_period("2025-01", story["warehouse"], tmp_path)
    assert not (tmp_path / "period-close").exists()
