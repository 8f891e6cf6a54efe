"""`itsm run` on demo data: one line per Dagster step, the closing summary, quiet vs -v, and `itsm explain` ignoring
case. Every figure in the output is checked against the warehouse or the Dagster instance, by another route.

The first run is the shared session run (conftest `demo_run`); the runs that change data work on a private copy of
its warehouse, so the shared one is not moved under other tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import Settings
from tests.conftest import run_itsm

pytestmark = pytest.mark.slow

RUN_ID = re.compile(r"\(Dagster run ([0-9a-f-]{36})\)")
STEP_LINE = re.compile(r"^(ok|FAILED|skipped)\s+(\S+)\s")
# One row per (kpi, service, month) with a value, from the wide scorecard mart: another route to the values the
# summary reads from marts.kpi_monthly_long.
HEADLINE_VALUES = """
unpivot (select service, month, {kpis} from marts.kpi_service_monthly)
on {kpis} into name kpi value v
"""


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def headline_values(warehouse: Path) -> dict[tuple, float]:
    kpis = ", ".join(r[0] for r in query(warehouse, "select kpi from reference.kpi_targets where service = '*'"))
    return {(kpi, service, month): v for service, month, kpi, v in query(warehouse, HEADLINE_VALUES.format(kpis=kpis))}


def summary(stdout: str) -> str:
    return stdout[stdout.index("Dagster run") :]


def test_first_run_prints_one_line_per_dagster_step(demo_run: subprocess.CompletedProcess, demo_env, monkeypatch):
    from dagster import DagsterEventType, DagsterInstance

    run_id = RUN_ID.search(demo_run.stdout).group(1)
    monkeypatch.setenv("DAGSTER_HOME", demo_env["DAGSTER_HOME"])
    with DagsterInstance.get() as instance:
        events = [e.dagster_event for e in instance.all_logs(run_id) if e.is_dagster_event]
    succeeded = [e.step_key for e in events if e.event_type == DagsterEventType.STEP_SUCCESS]
    lines = [STEP_LINE.match(line) for line in demo_run.stdout.splitlines()]
    printed = [(m.group(1), m.group(2)) for m in lines if m]
    assert printed == [("ok", step) for step in succeeded]
    assert {"ingest_inbox_exports", "itsm_dbt_models", "reports__itsm_report"} <= set(succeeded)
    # the dbt step's line counts what Dagster recorded for it
    dbt_events = [e for e in events if e.step_key == "itsm_dbt_models"]
    materialized = sum(e.event_type == DagsterEventType.ASSET_MATERIALIZATION for e in dbt_events)
    checked = sum(e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION for e in dbt_events)
    dbt_line = next(line for line in demo_run.stdout.splitlines() if line.startswith("ok      itsm_dbt_models"))
    assert f"{materialized} assets, {checked} checks" in dbt_line


def test_first_run_summary_matches_the_warehouse(demo_run: subprocess.CompletedProcess, demo_env, demo_warehouse):
    out = demo_run.stdout
    run_id = RUN_ID.search(out).group(1)
    assert f"run succeeded (Dagster run {run_id})" in out
    from pipelines.ingest.loader import inbox_files as exports_in

    inbox_files = exports_in(Path(demo_env["ITSM_INBOX"]))  # sidecars (.export.yml) describe files, are none
    loaded, rejected, quarantined = query(
        demo_warehouse,
        """select count(*) filter (where status = 'loaded'), count(*) filter (where status = 'rejected'),
                  sum(rows_quarantined) from raw.load_log""",
    )[0]
    assert loaded + rejected == len(inbox_files)  # a first run: every inbox file is new
    assert f"files: {loaded} loaded, 0 skipped (already loaded), {rejected} rejected" in out
    assert f"rows quarantined: {quarantined:,} (reasons in raw.quarantine" in out

    results = query(
        demo_warehouse, "select severity, check_name, status from dq.check_results where run_id = ?", [run_id]
    )
    failed = sorted({(sev, name) for sev, name, status in results if status in ("failed", "error")})
    blocking = sum(sev == "blocking" for sev, _ in failed)
    assert f"checks: {blocking or 'none'} of {len(results)} failed" in out
    for severity in {sev for sev, _ in failed}:
        names = ", ".join(name for sev, name in failed if sev == severity)
        assert f"    {severity}: {names}" in out  # names in full: fewer than ten per severity in the demo
    assert "KPIs: first build, no earlier values to compare" in out

    settings = Settings.from_env(
        warehouse_path=Path(demo_env["ITSM_WAREHOUSE"]), output_dir=Path(demo_env["ITSM_OUTPUT_DIR"])
    )
    for label, path in (("warehouse", demo_warehouse), ("report", settings.reports_dir / "itsm_report.html")):
        assert re.search(rf"^    {label}:\s+{re.escape(str(path))}$", out, re.MULTILINE), label
        assert path.exists()
    log = Path(re.search(r"^    full log:\s+(\S+)$", out, re.MULTILINE).group(1))
    assert log.parent == settings.output_dir / "logs"
    assert "Running dbt command" in log.read_text()  # the Dagster log went to the file, not the screen


def test_quiet_run_has_no_dagster_log_and_no_warnings(demo_run: subprocess.CompletedProcess):
    assert demo_run.stderr == ""
    assert " - dagster - " not in demo_run.stdout
    assert "START sql" not in demo_run.stdout  # dbt's per-node lines
    assert "Warning" not in demo_run.stdout and "WARNING" not in demo_run.stdout


@pytest.fixture(scope="module")
def copied_env(demo_warehouse: Path, demo_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A private pipeline on a copy of the demo warehouse and inbox, with its own outputs and Dagster instance."""
    root = tmp_path_factory.mktemp("copied_demo")
    shutil.copytree(demo_warehouse.parent, root / "warehouse")
    shutil.copytree(demo_env["ITSM_INBOX"], root / "inbox")
    (root / "dagster_home").mkdir()
    return {
        **demo_env,
        "ITSM_WAREHOUSE": str(root / "warehouse" / demo_warehouse.name),
        "ITSM_INBOX": str(root / "inbox"),
        "ITSM_OUTPUT_DIR": str(root / "build"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


@pytest.fixture(scope="module")
def verbose_then_quiet(copied_env: dict, tmp_path_factory: pytest.TempPathFactory):
    """`itsm run -v` with one re-exported tickets file (other values for tickets already loaded), then a quiet
    `itsm run` with nothing new. Returns both runs and the headline KPI values before, between and after."""
    warehouse = Path(copied_env["ITSM_WAREHOUSE"])
    update = tmp_path_factory.mktemp("update")
    run_itsm(["demo-data", "--out", str(update), "--tickets", "300", "--seed", "7"], copied_env)
    shutil.copyfile(update / "tickets.csv", Path(copied_env["ITSM_INBOX"]) / "tickets_reexport.csv")
    values = [headline_values(warehouse)]
    verbose = run_itsm(["run", "-v"], copied_env)
    values.append(headline_values(warehouse))
    quiet = run_itsm(["run"], copied_env)
    values.append(headline_values(warehouse))
    return verbose, quiet, values


def _changes(before: dict, after: dict) -> tuple[int, int, int]:
    """(changed, compared, new) the way the summary counts them."""
    compared = [k for k in after if k in before]
    changed = sum(abs(after[k] - before[k]) > 1e-9 for k in compared)
    return changed, len(compared), len(after) - len(compared)


def test_summary_names_the_kpis_that_moved_since_the_last_run(verbose_then_quiet, copied_env):
    verbose, quiet, (first, second, third) = verbose_then_quiet
    changed, compared, new = _changes(first, second)
    assert changed > 0  # the re-export changed tickets, so some service-month values moved
    head = f"KPIs since the last run: {changed} of {compared} headline values changed, {new} new"
    assert head in verbose.stdout
    moves = re.findall(r"^    (\S+) (\S+) (\d{4}-\d{2}): (\S+) -> ([-\d.,]+)", verbose.stdout, re.MULTILINE)
    assert 1 <= len(moves) <= 5
    for kpi, service, month, old, new_value in moves:
        key = next(k for k in second if k[0] == kpi and k[1] == service and f"{k[2]:%Y-%m}" == month)
        assert float(old.replace(",", "")) == pytest.approx(first[key], abs=0.005)
        assert float(new_value.replace(",", "")) == pytest.approx(second[key], abs=0.005)
    # nothing new on the second run: no value moves, and the inbox files are all skipped
    assert _changes(second, third)[0] == 0
    assert f"KPIs since the last run: 0 of {len(third)} headline values changed, 0 new" in quiet.stdout
    from pipelines.ingest.loader import inbox_files

    inbox = inbox_files(Path(copied_env["ITSM_INBOX"]))
    assert "files: 1 loaded, " in verbose.stdout  # the re-export
    assert f"files: 0 loaded, {len(inbox)} skipped (already loaded), 0 rejected" in quiet.stdout


def test_quiet_output_is_a_fraction_of_the_verbose_log(verbose_then_quiet):
    verbose, quiet, _ = verbose_then_quiet
    quiet_lines = quiet.stdout.splitlines() + quiet.stderr.splitlines()
    verbose_lines = verbose.stdout.splitlines() + verbose.stderr.splitlines()
    # quiet: the two header lines, one line per step, the summary; -v: Dagster's log and dbt's node lines as well
    assert len(quiet_lines) < 40
    assert len(verbose_lines) > 5 * len(quiet_lines)
    assert " - dagster - INFO - " in verbose.stderr
    assert "START sql" in verbose.stdout
    assert "full log:" not in verbose.stdout  # the log was on screen
    assert quiet.stderr == ""


def test_explain_finds_a_ticket_typed_in_lower_case(demo_env, demo_warehouse: Path):
    (running,) = query(
        demo_warehouse, "select ticket_id from marts.fct_ticket_sla where stopped_at is null order by 1 limit 1"
    )[0]
    (stopped,) = query(
        demo_warehouse,
        """select ticket_id from marts.fct_ticket_sla group by ticket_id
           having bool_and(stopped_at is not null) order by 1 limit 1""",
    )[0]
    (as_of,) = query(demo_warehouse, "select strftime(as_of, '%Y-%m-%d %H:%M:%S') from intermediate.int_sla_as_of")[0]
    assert running != running.lower()  # the demo's ids are upper case, so lower case is a real test

    proc = run_itsm(["explain", running.lower()], demo_env)
    assert proc.stdout.startswith(f"SLA clocks of ticket {running}\n")
    assert f"as of {as_of}Z: a clock is still running" in proc.stdout
    assert "as of -" not in proc.stdout

    proc = run_itsm(["explain", stopped.lower()], demo_env)
    assert f"all clocks stopped, so no as-of applies (the run's as-of is {as_of}Z" in proc.stdout
    assert "as of -" not in proc.stdout

    proc = run_itsm(["explain", "INC-NO-SUCH"], demo_env, check=False)
    assert proc.returncode == 1
    assert "no SLA clock for ticket 'INC-NO-SUCH'" in proc.stderr
