"""The dbt models on a local Spark equal the DuckDB build: every mart of the demo data, the seeds, and the rule
for local wall times that a DST change makes ambiguous or skips (make test-spark; needs pyspark and Java)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from dbt.cli.main import dbtRunner
from parity import canonical_rows, differences, table_names

from pipelines.spark_engine import dbt_cli_args, spark_session
from tests.conftest import pipeline_env, run_itsm

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEMO_TICKETS = "3000"
# Columns of audit_build_info that name the invocation (its id, start time, target folder) differ per build.
RUN_SPECIFIC = {"audit_build_info": ("dbt_version", "invoked_by")}


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> dict[str, Path]:
    """The demo data ingested once, then built whole by DuckDB and by Spark: {engine: DuckDB file}. The Spark
    build's marts (views included) and seeds are copied into its own DuckDB file for comparison."""
    root = tmp_path_factory.mktemp("parity")
    env = pipeline_env(root)
    run_itsm(["demo-data", "--out", env["ITSM_INBOX"], "--tickets", DEMO_TICKETS], env)
    run_itsm(["ingest", env["ITSM_INBOX"]], env)
    raw = Path(env["ITSM_WAREHOUSE"])
    duck, spark = root / "duckdb.duckdb", root / "spark.duckdb"
    shutil.copy(raw, duck)
    shutil.copy(raw, spark)
    dbt(["build"], duck, root / "duckdb_work")
    # the Spark side through the command a user runs: the inbox is already loaded (skipped), then the build on
    # Spark, the checks, the report and the snapshot
    proc = run_itsm(["run", "--engine", "spark"], {**env, "ITSM_WAREHOUSE": str(spark)})
    assert "== dbt build on Spark: ok" in proc.stdout and "== report: ok" in proc.stdout, proc.stdout[-3000:]
    return {"duckdb": duck, "spark": spark}


def test_every_mart_is_equal_on_both_engines(engines: dict[str, Path]) -> None:
    marts = table_names(engines["duckdb"], "marts")
    assert len(marts) >= 20
    assert table_names(engines["spark"], "marts") == marts
    problems = []
    for mart in marts:
        if mart in RUN_SPECIFIC:
            columns = ", ".join(RUN_SPECIFIC[mart])
            rows = {
                name: canonical_rows(path, f"(select {columns} from marts.{mart})") for name, path in engines.items()
            }
            if rows["duckdb"] != rows["spark"]:
                problems.append(f"{mart}: {rows}")
            continue
        problem = differences(engines["duckdb"], engines["spark"], f"marts.{mart}")
        if problem:
            problems.append(problem)
    assert problems == []
    # the comparison is not vacuous: the demo data fills the ticket and KPI marts
    for mart in ("fct_incident", "fct_ticket_sla", "kpi_service_monthly", "fct_outage", "fct_backlog_daily"):
        assert len(canonical_rows(engines["spark"], f"marts.{mart}")[1]) > 0, mart


def test_seeds_load_the_same_on_spark(engines: dict[str, Path]) -> None:
    """dbt-spark's own session loader breaks on a quote (New Year's Day) and loads blank cells as 'None'."""
    seeds = table_names(engines["duckdb"], "reference")
    assert table_names(engines["spark"], "reference") == seeds
    assert [differences(engines["duckdb"], engines["spark"], f"reference.{seed}") for seed in seeds] == [""] * len(
        seeds
    )
    _, holidays = canonical_rows(engines["spark"], "(select name from reference.holidays)")
    assert ("New Year's Day",) in holidays
    columns, [counts] = canonical_rows(
        engines["spark"],
        "(select count(*) filter (where service_calendar_id is null) as nulls, "
        "count(*) filter (where service_calendar_id = 'None') as none_texts from reference.services)",
    )
    blanks = dict(zip(columns, counts, strict=True))
    assert blanks["nulls"] > 0  # seeds/services.csv leaves some services without service hours (24/7)
    assert blanks["none_texts"] == 0


# Hand-computed: New York is EDT (UTC-4) until 2026-11-01 06:00 UTC, when 02:00 EDT becomes 01:00 EST (UTC-5),
# and EST until 2026-03-08 07:00 UTC, when 02:00 EST becomes 03:00 EDT. London is GMT (UTC+0) in January.
LOCAL_TO_UTC_CASES = [
    ("2026-11-01 01:30:00", "America/New_York", "2026-11-01 06:30:00"),  # ambiguous: the later, EST occurrence
    ("2026-11-01 00:30:00", "America/New_York", "2026-11-01 04:30:00"),  # before the repeat: EDT
    ("2026-11-01 02:30:00", "America/New_York", "2026-11-01 07:30:00"),  # after the repeat: EST
    ("2026-03-08 02:30:00", "America/New_York", "2026-03-08 07:30:00"),  # in the gap: moved forward by the gap
    ("2026-10-25 01:30:00", "Europe/London", "2026-10-25 01:30:00"),  # ambiguous in London: the later, GMT one
    ("2026-01-15 09:00:00", "Europe/London", "2026-01-15 09:00:00"),
]


def local_to_utc_sql() -> str:
    selects = [
        f"select '{local}' as local_text, '{zone}' as zone, "
        f"{{{{ local_to_utc(\"cast('{local}' as timestamp)\", \"'{zone}'\") }}}} as utc_instant"
        for local, zone, _ in LOCAL_TO_UTC_CASES
    ]
    return " union all ".join(selects)


def show(sql: str, target: str, work_dir: Path) -> list[tuple]:
    """Rows of `dbt show --inline sql` on `target`, in this process."""
    result = dbtRunner().invoke(dbt_cli_args(["show", "--inline", sql, "--limit", "100"], work_dir, target))
    assert result.success, result.exception
    return [tuple(row) for row in result.result.results[0].agate_table.rows]


@pytest.mark.parametrize("target", ["local", "spark"])
def test_local_to_utc_follows_one_rule_on_both_engines(
    target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One rule (DECISIONLOG.md, as ingestion reads naive timestamps): an ambiguous wall time is its later
    (standard-time) occurrence; a wall time in a spring-forward gap moves forward by the gap."""
    monkeypatch.setenv("ITSM_WAREHOUSE", str(tmp_path / "itsm.duckdb"))
    session: SparkSession | None = spark_session(tmp_path) if target == "spark" else None
    try:
        rows = show(local_to_utc_sql(), target, tmp_path)
    finally:
        if session is not None:
            session.stop()
    got = {(local, zone): instant.strftime("%Y-%m-%d %H:%M:%S") for local, zone, instant in rows}
    assert got == {(local, zone): utc for local, zone, utc in LOCAL_TO_UTC_CASES}
