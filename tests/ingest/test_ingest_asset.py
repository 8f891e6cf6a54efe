"""The ingestion multi-asset materialized by Dagster for real, and the inbox sensor."""

from __future__ import annotations

import os
import time

import duckdb
from dagster import AssetKey, DagsterInstance, RunRequest, SkipReason, build_sensor_context, materialize

from pipelines.assets.ingestion import inbox_sensor, ingest_inbox_exports
from pipelines.resources import WarehouseResource

HEADER = "ticket_id,ticket_type,opened_at,state,priority\n"


def resource(tmp_path) -> WarehouseResource:
    return WarehouseResource(
        warehouse_path=str(tmp_path / "warehouse" / "itsm.duckdb"),
        inbox_dir=str(tmp_path / "inbox"),
        output_dir=str(tmp_path / "build"),
    )


def test_materializing_the_ingest_asset_loads_the_inbox_with_metadata(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "tickets.csv").write_text(HEADER + "T1,incident,2026-01-05 09:00:00,new,2\nT2,incident,x,new,2\n")
    (inbox / "probes.csv").write_text("service,checked_at,up\nweb,2026-01-01 00:00:00,0\nweb,2026-01-01 00:01:00,1\n")
    (inbox / "mystery.csv").write_text("alpha,beta\n1,2\n")
    warehouse = resource(tmp_path)
    with DagsterInstance.ephemeral() as instance:
        result = materialize([ingest_inbox_exports], resources={"warehouse": warehouse}, instance=instance)
        assert result.success
        meta = {m.asset_key: m.metadata for m in result.get_asset_materialization_events() for m in [m.materialization]}
    assert set(meta) == {AssetKey(["raw", t]) for t in ("tickets", "ticket_events", "changes", "outages", "surveys")}
    tickets = meta[AssetKey(["raw", "tickets"])]
    assert (tickets["rows_loaded"].value, tickets["rows_quarantined"].value, tickets["table_rows"].value) == (1, 1, 1)
    assert tickets["files"].value == ["tickets.csv"]
    assert meta[AssetKey(["raw", "outages"])]["rows_loaded"].value == 1
    assert meta[AssetKey(["raw", "surveys"])]["rows_loaded"].value == 0
    rejected = tickets["files_rejected"].value
    assert len(rejected) == 1 and rejected[0].startswith("mystery.csv: unknown format")
    # the asset closed its connection: the file opens read-only from here
    with duckdb.connect(warehouse.warehouse_path, read_only=True) as conn:
        assert conn.execute("select count(*) from raw.load_log").fetchone()[0] == 3


def test_inbox_sensor_requests_a_run_only_for_new_or_changed_files(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    warehouse = resource(tmp_path)
    empty = inbox_sensor(build_sensor_context(resources={"warehouse": warehouse}))
    assert isinstance(empty, SkipReason)

    (inbox / "tickets.csv").write_text(HEADER)
    context = build_sensor_context(resources={"warehouse": warehouse})
    first = inbox_sensor(context)
    assert isinstance(first, RunRequest)
    cursor = context.cursor

    context = build_sensor_context(cursor=cursor, resources={"warehouse": warehouse})
    assert isinstance(inbox_sensor(context), SkipReason)

    path = inbox / "tickets.csv"
    path.write_text(HEADER + "T1,incident,2026-01-05 09:00:00,new,2\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    context = build_sensor_context(cursor=cursor, resources={"warehouse": warehouse})
    changed = inbox_sensor(context)
    assert isinstance(changed, RunRequest) and changed.run_key != first.run_key
