"""What runs by itself: the whole refresh as one job, started every day by a schedule and whenever the inbox
sensor (pipelines/assets/ingestion.py) sees a new export.

Both start the same job, so a file dropped in the inbox reaches the marts, the checks, the report and the analyst
snapshot within a minute, and a quiet day still refreshes everything measured against the day's date.
dagster.yaml queues runs one at a time: DuckDB has a single writer, so a sensor run and a scheduled run must not
overlap.
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DagsterInvalidDefinitionError,
    DefaultScheduleStatus,
    ScheduleDefinition,
    define_asset_job,
)

from pipelines.settings import Settings

REFRESH_JOB_NAME = "itsm_refresh"

# Everything, in dependency order: ingest -> dbt (+ tests as checks) -> data-quality checks -> report and
# analyst snapshot. Extracts and period close are on demand (they need a period), so they stay out.
refresh_job = define_asset_job(
    REFRESH_JOB_NAME,
    selection=AssetSelection.all() - AssetSelection.groups("extracts"),
    description="Ingest new exports, build every dbt model, run all checks, write the report and publish the "
    "analyst snapshot. Started daily by itsm_daily_refresh and by inbox_sensor on new files.",
)


def daily_refresh_schedule(settings: Settings) -> ScheduleDefinition:
    """The refresh job at `settings.schedule_cron` in `settings.schedule_timezone` (ITSM_SCHEDULE_CRON /
    ITSM_SCHEDULE_TIMEZONE); running from the start, so `make ui` refreshes daily without a click."""
    try:
        return ScheduleDefinition(
            name="itsm_daily_refresh",
            job=refresh_job,
            cron_schedule=settings.schedule_cron,
            execution_timezone=settings.schedule_timezone,
            default_status=DefaultScheduleStatus.RUNNING,
            tags={"itsm/trigger": "schedule"},
            description=f"The whole refresh at '{settings.schedule_cron}' ({settings.schedule_timezone}); change "
            "it with ITSM_SCHEDULE_CRON and ITSM_SCHEDULE_TIMEZONE.",
        )
    except DagsterInvalidDefinitionError as err:
        raise ValueError(
            f"ITSM_SCHEDULE_CRON={settings.schedule_cron!r} / ITSM_SCHEDULE_TIMEZONE={settings.schedule_timezone!r} "
            f"rejected: {err}"
        ) from err
