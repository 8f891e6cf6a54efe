"""Every extract kind, verification, period close and analyst access on the demo data built by the real pipeline
(`itsm demo-data` + `itsm run`, the session fixture `demo_warehouse`), over July - October 2026 (the demo's last
four months); the period close is of October.

The demo has no hand-computed answer per row, so these tests check what must hold on any real data: each
extract agrees with the KPI marts it explains, the lineage hashes equal the files on disk, every breach's trace
adds up to its clock, and nobody's name leaves the warehouse.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from audit_cli import ITSM, rows

from pipelines.extracts.connection import snapshot_path
from pipelines.extracts.writer import sha256_file

pytestmark = pytest.mark.slow
# Four months: the small demo (3,000 tickets) has months without a single unauthorized, emergency or failed change.
PERIOD = ["--from", "2026-07-01", "--to", "2026-10-31"]
KINDS = ["sla-breaches", "changes", "availability", "data-quality", "lineage"]


@pytest.fixture(scope="module")
def env(demo_warehouse: Path, demo_env: dict[str, str]) -> dict[str, str]:
    return {**demo_env, "ITSM_PSEUDONYM_KEY": "demo-audit-pseudonym-key"}


@pytest.fixture(scope="module")
def extracts(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("demo_extracts")
    made = {}
    for kind in KINDS:
        out = root / kind
        proc = subprocess.run([str(ITSM), "extract", kind, *PERIOD, "--out", str(out)], env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert proc.returncode == 0, f"{kind}: {proc.stderr}"
        made[kind] = out
    return made


def scalar(warehouse: Path, sql: str) -> object:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return conn.execute(sql).fetchall()[0][0]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_verifies(env: dict[str, str], extracts: dict[str, Path], kind: str):
    proc = subprocess.run([str(ITSM), "verify", str(extracts[kind])], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    manifest = json.loads((extracts[kind] / "manifest.json").read_text())
    first_dataset = manifest["datasets"][0]["name"]  # the kind's main table (sla_breaches, changes, ...)
    assert rows(extracts[kind] / f"{first_dataset}.parquet"), f"{kind}: {first_dataset} is empty on the demo data"


def test_changes_agree_with_the_change_kpis(demo_warehouse: Path, extracts: dict[str, Path]):
    changes = rows(extracts["changes"] / "changes.parquet")
    kpi = "select sum({}) from marts.kpi_change_monthly where month between date '2026-07-01' and date '2026-10-01'"
    # The extract attributes changes to months by the same instant as change_month, so the counts match.
    flags = {
        "unauthorized": "changes_unauthorized",
        "emergency": "changes_emergency",
        "failed": "changes_failed_or_backed_out",
        "caused_failure": "changes_causing_failure",
    }
    for flag, column in flags.items():
        assert sum(flag in c["reasons"].split(";") for c in changes) == scalar(demo_warehouse, kpi.format(column))


def test_every_breach_has_a_trace_that_adds_up(extracts: dict[str, Path]):
    breaches = rows(extracts["sla-breaches"] / "sla_breaches.parquet")
    trace = rows(extracts["sla-breaches"] / "sla_breach_trace.parquet")
    counted: dict[str, int] = {}
    for piece in trace:
        counted[piece["sla_id"]] = counted.get(piece["sla_id"], 0) + piece["counted_seconds"]
    assert {b["sla_id"] for b in breaches} == set(counted)
    for breach in breaches:
        assert breach["elapsed_business_seconds"] == counted[breach["sla_id"]]
        assert breach["breach_at"].year == 2026 and 7 <= breach["breach_at"].month <= 10


def test_no_person_name_leaves_the_warehouse(demo_warehouse: Path, extracts: dict[str, Path]):
    with duckdb.connect(str(demo_warehouse), read_only=True) as conn:
        names = {r[0] for r in conn.execute(
            "select distinct assignee from staging.stg_raw__tickets where assignee is not null "
            "union select distinct caller from staging.stg_raw__tickets where caller is not null"
        ).fetchall()}  # fmt: skip
    breaches = rows(extracts["sla-breaches"] / "sla_breaches.parquet")
    assert breaches and all(b["assignee"] is None or b["assignee"].startswith("p_") for b in breaches)
    text = (extracts["sla-breaches"] / "sla_breaches.csv").read_text()
    leaked = [n for n in names if f'"{n}"' in text]
    assert leaked == []


def test_availability_has_every_service_for_the_month(demo_warehouse: Path, extracts: dict[str, Path]):
    months = rows(extracts["availability"] / "availability_monthly.parquet")
    # every catalogue service in each of the four months; `unassigned` commits to no availability and has no rows
    services = scalar(demo_warehouse, "select count(*) from reference.services where service <> 'unassigned'")
    assert len(months) == 4 * services
    for month in months:
        assert 0 <= month["availability_pct"] <= 100
    outages = rows(extracts["availability"] / "outages.parquet")
    assert {o["treatment"].split(":")[0] for o in outages} <= {"counted", "excluded"}


def test_lineage_hashes_are_the_files_on_disk(extracts: dict[str, Path]):
    files = rows(extracts["lineage"] / "source_files.parquet")
    assert files
    for file in files:
        assert sha256_file(Path(file["source_file"])) == file["file_sha256"], file["source_file"]
    build = rows(extracts["lineage"] / "build_info.parquet")
    assert len(build) == 1 and build[0]["dbt_invocation_id"]


def test_data_quality_extract_holds_the_latest_run(demo_warehouse: Path, extracts: dict[str, Path]):
    latest = [r for r in rows(extracts["data-quality"] / "check_results.parquet") if r["is_latest_run"]]
    expected = scalar(
        demo_warehouse,
        "select count(*) from dq.check_results where run_id = "
        "(select run_id from dq.check_results order by checked_at desc, run_id desc limit 1)",
    )
    assert len(latest) == expected > 0


def test_same_demo_extract_twice_is_byte_identical(env: dict[str, str], extracts: dict[str, Path], tmp_path: Path):
    again = tmp_path / "again"
    subprocess.run([str(ITSM), "extract", "sla-breaches", *PERIOD, "--out", str(again)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    first = extracts["sla-breaches"]
    for path in first.iterdir():
        if path.name != "manifest.json":
            assert path.read_bytes() == (again / path.name).read_bytes(), path.name


def test_run_published_the_analyst_snapshot(demo_warehouse: Path, env: dict[str, str]):
    assert snapshot_path(demo_warehouse).exists()
    proc = subprocess.run([str(ITSM), "sql", "-c", "select count(*) as incidents from marts.fct_incident"], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert str(scalar(demo_warehouse, "select count(*) from marts.fct_incident")) in proc.stdout


def test_close_period_on_demo(demo_warehouse: Path, env: dict[str, str], tmp_path: Path):
    # On a copy: the session's demo warehouse stays as the pipeline left it for the other tests.
    copy = tmp_path / "itsm.duckdb"
    shutil.copyfile(demo_warehouse, copy)
    local = {**env, "ITSM_WAREHOUSE": str(copy), "ITSM_OUTPUT_DIR": str(tmp_path / "build")}
    close = [str(ITSM), "close-period", "2026-10"]
    first = subprocess.run(close, env=local, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(close, env=local, capture_output=True, text=True)
    assert second.returncode == 1 and "already closed" in second.stderr
    snapshot = scalar(copy, "select count(*) from audit.kpi_snapshots where period_month = date '2026-10-01'")
    current = scalar(copy, "select count(*) from marts.kpi_monthly_long where period_month = date '2026-10-01'")
    assert snapshot == current > 0
    marts = scalar(copy, "select count(distinct source_mart) from audit.kpi_snapshots")
    assert marts == 5  # incident, change, availability, satisfaction monthly KPIs and the service scorecard
    restated = scalar(copy, "select count(*) from marts.kpi_restatements where restatement_status <> 'unchanged'")
    assert restated == 0  # nothing changed since the close
    # the close republished the analyst snapshot, so analysts see it at once
    assert scalar(snapshot_path(copy), "select count(*) from audit.kpi_snapshots") == snapshot
