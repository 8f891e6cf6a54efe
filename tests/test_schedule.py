"""The daily schedule's run executed in process on a small demo inbox: what a team relies on when nobody clicks.

One module-scoped run: the schedule's run request, evaluated as the daemon would at its tick, is executed with the
job it names. It must leave the marts built, every check evaluated, the report written and the analyst snapshot
published, and print none of the warnings dagster-dbt gives when dbt tests are not loaded as asset checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    EventLogEntry,
    ExecuteInProcessResult,
    RunRequest,
    build_schedule_context,
)

from pipelines.demo import generate_demo_data
from pipelines.extracts.connection import snapshot_path
from pipelines.settings import Settings

pytestmark = pytest.mark.slow

TICK = datetime(2026, 11, 2, 5, 15, tzinfo=ZoneInfo("Europe/London"))


@dataclass(frozen=True)
class ScheduledRun:
    settings: Settings
    request: RunRequest
    job_name: str
    result: ExecuteInProcessResult
    logs: list[EventLogEntry]


@pytest.fixture(scope="module")
def scheduled_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScheduledRun]:
    root = tmp_path_factory.mktemp("scheduled")
    generate_demo_data(root / "inbox", n_tickets=300)
    with pytest.MonkeyPatch.context() as env:
        # Settings from the environment, as under `make ui`; the definitions hand them to every asset and to dbt.
        env.setenv("ITSM_WAREHOUSE", str(root / "warehouse" / "itsm.duckdb"))
        env.setenv("ITSM_INBOX", str(root / "inbox"))
        env.setenv("ITSM_OUTPUT_DIR", str(root / "build"))
        env.setenv("ITSM_SOURCE_TIMEZONES", "servicenow=Europe/London,jira=UTC")
        env.setenv("ITSM_SCHEDULE_CRON", "15 5 * * *")
        env.setenv("ITSM_SCHEDULE_TIMEZONE", "Europe/London")
        from pipelines.definitions import build_definitions

        settings = Settings.from_env()
        defs = build_definitions(settings)
        schedule = defs.resolve_schedule_def("itsm_daily_refresh")
        with DagsterInstance.ephemeral() as instance:
            context = build_schedule_context(instance=instance, scheduled_execution_time=TICK)
            requests = schedule.evaluate_tick(context).run_requests or []
            assert len(requests) == 1
            job = defs.resolve_job_def(schedule.job_name)
            result = job.execute_in_process(
                run_config=requests[0].run_config, tags=requests[0].tags, instance=instance, raise_on_error=False
            )
            logs = instance.all_logs(result.run_id)
        yield ScheduledRun(settings, requests[0], schedule.job_name, result, logs)


def test_the_scheduled_run_is_the_whole_refresh_tagged_as_scheduled(scheduled_run: ScheduledRun):
    assert scheduled_run.job_name == "itsm_refresh"
    assert scheduled_run.request.tags["itsm/trigger"] == "schedule"
    failures = [e.message for e in scheduled_run.result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert scheduled_run.result.success, failures


def test_the_scheduled_run_builds_the_marts_from_the_inbox(scheduled_run: ScheduledRun):
    with duckdb.connect(str(scheduled_run.settings.warehouse_path), read_only=True) as conn:
        incidents_exported = conn.execute(
            "select count(distinct ticket_id) from raw.tickets where ticket_type = 'incident'"
        ).fetchone()[0]
        incident_rows = conn.execute("select count(*) from marts.fct_incident").fetchone()[0]
        months = conn.execute("select count(distinct period_start) from marts.kpi_incident_monthly").fetchone()[0]
    # fct_incident has one row per incident ticket that was loaded (its grain); the demo exports cover 12 months.
    assert incidents_exported > 100
    assert incident_rows == incidents_exported
    assert months == 12


def test_the_scheduled_run_writes_the_report_and_publishes_the_analyst_snapshot(scheduled_run: ScheduledRun):
    report = scheduled_run.settings.reports_dir / "itsm_report.html"
    assert report.stat().st_size > 1_000_000  # plotly.js is embedded (about 4.8 MB)
    assert "<html" in report.read_text()[:2000].lower()
    snapshot = snapshot_path(scheduled_run.settings.warehouse_path)
    with duckdb.connect(str(snapshot), read_only=True) as conn:
        assert conn.execute("select count(*) from marts.fct_incident").fetchone()[0] > 100


def test_dbt_source_tests_report_as_asset_checks_and_nothing_warns_about_observations(scheduled_run: ScheduledRun):
    evaluations = {
        (e.asset_check_key.asset_key.to_user_string(), e.check_name): e.passed
        for e in scheduled_run.result.get_asset_check_evaluations()
    }
    assert evaluations[("raw/tickets", "source_not_null_raw_tickets_ticket_id")] is True
    assert evaluations[("marts/fct_incident", "primary_key_fct_incident_ticket_id")] is True
    messages = [entry.user_message for entry in scheduled_run.logs]
    assert not [m for m in messages if "instead of an `AssetCheckResult`" in m]
    observations = [e for e in scheduled_run.result.all_events if e.event_type == DagsterEventType.ASSET_OBSERVATION]
    assert observations == []
