"""Ingestion assets: new export files in the inbox -> DuckDB `raw` tables (pipelines/ingest does the work).

One multi-asset materializes raw/tickets, raw/ticket_events, raw/changes, raw/outages and raw/surveys together,
because one export can feed several tables (a ServiceNow event log feeds tickets and ticket_events). dagster-dbt
maps the dbt sources `raw.<table>` to the same keys, so the dbt models hang below these assets.
Reference data (services, calendars, SLA policies) are dbt seeds, not ingested here.

The sensor lists the inbox by name + size + mtime and requests the whole refresh (pipelines/automation.py) when
something new appears, so new files reach the marts, checks, report and analyst snapshot, not only `raw`; the
loader itself skips files whose bytes were already loaded (SHA-256), so a touched but unchanged file adds nothing.
"""

import hashlib
import json
from collections import defaultdict
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    AssetSpec,
    DefaultSensorStatus,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    multi_asset,
    sensor,
)

from data_quality.contract import RAW_SCHEMA, TABLES
from pipelines.assets.transformation import itsm_dbt_models
from pipelines.automation import refresh_job
from pipelines.ingest.loader import LoadResult, inbox_files, ingest_inbox
from pipelines.resources import WarehouseResource

RAW_KEYS = {name: AssetKey([RAW_SCHEMA, name]) for name in TABLES}


@multi_asset(
    name="ingest_inbox_exports",
    specs=[
        AssetSpec(key, group_name="ingestion", description=TABLES[name].description, kinds={"duckdb"})
        for name, key in RAW_KEYS.items()
    ],
    description="Load new export files from the inbox into raw.* (row rejects to raw.quarantine, one load_log "
    "row per file).",
)
def ingest_inbox_exports(context: AssetExecutionContext, warehouse: WarehouseResource):
    settings = warehouse.settings

    def progress(index: int, total: int, path: Path, result: LoadResult | None) -> None:
        if result is None:
            context.log.info(f"[{index}/{total}] loading {path.name}")
        elif result.status == "rejected":
            context.log.warning(f"[{index}/{total}] REJECTED {result.error}")
        else:
            context.log.info(
                f"[{index}/{total}] {path.name}: {result.status}, read {result.rows_read}, loaded "
                f"{result.rows_loaded}, quarantined {result.rows_quarantined} ({result.adapter})"
            )

    with warehouse.connect() as conn:
        results = ingest_inbox(conn, settings, progress=progress)
        totals = dict(
            conn.execute(
                "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = ?", [RAW_SCHEMA]
            ).fetchall()
        )
    yield from materializations(results, totals)


def materializations(results: list[LoadResult], totals: dict[str, int]):
    loaded: dict[str, int] = defaultdict(int)
    quarantined: dict[str, int] = defaultdict(int)
    files: dict[str, list[str]] = defaultdict(list)
    for result in results:
        if result.status != "loaded":
            continue
        for table, rows in result.tables.items():
            loaded[table] += rows
            files[table].append(result.path.name)
        if result.target:
            quarantined[result.target] += result.rows_quarantined
    rejected = [r.error for r in results if r.status == "rejected"]
    for name, key in RAW_KEYS.items():
        yield MaterializeResult(
            asset_key=key,
            metadata={
                "rows_loaded": MetadataValue.int(loaded[name]),
                "rows_quarantined": MetadataValue.int(quarantined[name]),
                "files_loaded": MetadataValue.int(len(files[name])),
                "files": MetadataValue.json(files[name]),
                "files_rejected": MetadataValue.json(rejected),
                "table_rows": MetadataValue.int(int(totals.get(name, 0))),
            },
        )


# dbt's source tests are checks on the raw tables too, but running them means a dbt start-up: they run with the
# refresh, and this job stays a quick load plus the data-quality checks on raw.
ingest_job = define_asset_job(
    "itsm_ingest",
    selection=AssetSelection.assets(ingest_inbox_exports)
    - AssetSelection.checks(*(key for key in itsm_dbt_models.check_keys if key.asset_key in RAW_KEYS.values())),
    description="Load new files from the inbox into the raw tables and run the data-quality checks on them "
    "(itsm_refresh does this and everything downstream).",
)


def inbox_listing(inbox: Path) -> dict[str, list[int]]:
    """name -> [size, mtime_ns]: cheap to compute every tick, changes whenever a file is added or rewritten."""
    listing = {}
    for path in inbox_files(inbox):
        stat = path.stat()
        listing[str(path.relative_to(inbox))] = [stat.st_size, stat.st_mtime_ns]
    return listing


@sensor(
    job=refresh_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Requests the whole refresh (itsm_refresh: ingest, dbt, checks, report, analyst snapshot) when a "
    "file in the inbox is new or changed (name + size + mtime).",
)
def inbox_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
    inbox = Path(warehouse.inbox_dir)
    current = inbox_listing(inbox)
    seen = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(name for name, stamp in current.items() if seen.get(name) != stamp)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not changed:
        return SkipReason(f"no new or changed files in {inbox}")
    run_key = hashlib.sha256(json.dumps({n: current[n] for n in changed}, sort_keys=True).encode()).hexdigest()[:16]
    return RunRequest(run_key=run_key, tags={"itsm/trigger": "inbox_sensor", "itsm/new_files": str(len(changed))})


ASSETS = [ingest_inbox_exports]
SENSORS = [inbox_sensor]
JOBS = [ingest_job]
