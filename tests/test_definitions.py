"""The Dagster definitions as the UI shows them: groups, the daily schedule, the sensor's target, and the dbt
project's declarations (staging yml, source freshness, exposures) read from the parsed manifest."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dagster import (
    AssetKey,
    DagsterInstance,
    DefaultScheduleStatus,
    QueuedRunCoordinator,
    RunRequest,
    build_schedule_context,
    build_sensor_context,
)

from dashboards.queries import MART_TABLES, REFERENCE_TABLES
from data_quality.contract import LINEAGE_COLUMNS, TABLES
from pipelines.assets.ingestion import inbox_sensor
from pipelines.assets.transformation import DBT_PROJECT, dbt_group_name, itsm_dbt_models
from pipelines.definitions import build_definitions, defs
from pipelines.extracts.registry import KINDS
from pipelines.resources import WarehouseResource
from pipelines.settings import PROJECT_ROOT, Settings

DBT_GROUPS = {
    "staging",
    "intermediate",
    "incidents",
    "changes",
    "availability",
    "satisfaction",
    "service",
    "audit",
    "reference",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    # Importing pipelines.assets.transformation re-parsed the project if any dbt file was newer than the manifest.
    return json.loads(Path(DBT_PROJECT.manifest_path).read_text())


def test_no_asset_is_left_in_the_default_group_and_dbt_assets_follow_layer_and_domain():
    graph = defs.resolve_asset_graph()
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    assert "default" not in set(groups.values())
    assert {groups[key] for key in itsm_dbt_models.keys} == DBT_GROUPS
    assert groups[AssetKey(["staging", "stg_raw__tickets"])] == "staging"
    assert groups[AssetKey(["intermediate", "int_ticket_sla_spans"])] == "intermediate"
    assert groups[AssetKey(["marts", "fct_incident"])] == "incidents"
    assert groups[AssetKey(["marts", "kpi_availability_monthly"])] == "availability"
    assert groups[AssetKey(["reference", "sla_policies"])] == "reference"


def test_a_model_outside_the_layer_folders_is_refused_with_where_to_put_it():
    props = {"resource_type": "model", "name": "orphan", "fqn": ["itsm", "orphan"]}
    with pytest.raises(ValueError, match="put it in staging/, intermediate/ or marts/<domain>/"):
        dbt_group_name(props)


def test_the_refresh_job_covers_ingest_dbt_checks_report_and_analyst_snapshot():
    job = defs.resolve_job_def("itsm_refresh")
    selected = job.asset_layer.selected_asset_keys
    assert {AssetKey(["raw", "tickets"]), AssetKey(["reports", "itsm_report"])} <= selected
    assert AssetKey(["analyst", "warehouse_snapshot"]) in selected
    assert set(itsm_dbt_models.keys) <= selected
    # extracts need a period and a kind: on demand only
    assert AssetKey(["extracts", "audit_extract"]) not in selected
    checks = job.asset_layer.asset_graph.asset_check_keys
    assert any(key.asset_key == AssetKey(["raw", "tickets"]) and key.name.startswith("source_") for key in checks)


def test_the_quick_ingest_job_leaves_dbt_out():
    job = defs.resolve_job_def("itsm_ingest")
    assert {node.name for node in job.graph.node_defs} == {"ingest_inbox_exports", "dq_raw_tables"}


def test_the_daily_schedule_starts_the_refresh_at_the_configured_time_and_zone():
    settings = replace(Settings(), schedule_cron="30 5 * * 1-5", schedule_timezone="Europe/London")
    schedule = build_definitions(settings).resolve_schedule_def("itsm_daily_refresh")
    assert (schedule.job_name, schedule.cron_schedule, schedule.execution_timezone) == (
        "itsm_refresh",
        "30 5 * * 1-5",
        "Europe/London",
    )
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    tick = datetime(2026, 11, 2, 5, 30, tzinfo=UTC)
    requests = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=tick)).run_requests
    assert [r.tags["itsm/trigger"] for r in requests] == ["schedule"]


def test_the_default_schedule_is_daily_at_six_utc():
    schedule = defs.resolve_schedule_def("itsm_daily_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * *", "UTC")


def test_schedule_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ITSM_SCHEDULE_CRON", "  0   7 * * *  ")
    monkeypatch.setenv("ITSM_SCHEDULE_TIMEZONE", "America/New_York")
    settings = Settings.from_env()
    assert (settings.schedule_cron, settings.schedule_timezone) == ("0 7 * * *", "America/New_York")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ITSM_SCHEDULE_CRON", "0 6 * *", "must be a five-field cron expression"),
        ("ITSM_SCHEDULE_CRON", "daily", "must be a five-field cron expression"),
        ("ITSM_SCHEDULE_TIMEZONE", "Mars/Olympus_Mons", "is not an IANA time zone name"),
        ("ITSM_SCHEDULE_TIMEZONE", "", "is not an IANA time zone name"),
    ],
)
def test_a_bad_schedule_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=f"{variable}=.*{message}"):
        Settings.from_env()


def test_a_cron_field_out_of_range_is_refused_when_the_schedule_is_built():
    settings = replace(Settings(), schedule_cron="99 6 * * *")
    with pytest.raises(ValueError, match="ITSM_SCHEDULE_CRON='99 6 \\* \\* \\*'"):
        build_definitions(settings)


def test_the_inbox_sensor_requests_the_whole_refresh_for_a_new_file(tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "tickets.csv").write_text("ticket_id,ticket_type,opened_at,state,priority\n")
    warehouse = WarehouseResource(
        warehouse_path=str(tmp_path / "itsm.duckdb"), inbox_dir=str(inbox), output_dir=str(tmp_path / "build")
    )
    request = inbox_sensor(build_sensor_context(resources={"warehouse": warehouse}))
    assert isinstance(request, RunRequest)
    assert request.tags == {"itsm/trigger": "inbox_sensor", "itsm/new_files": "1"}
    assert defs.resolve_sensor_def("inbox_sensor").job_name == "itsm_refresh"


def test_every_staging_model_documents_every_column_it_selects(manifest: dict[str, Any]):
    for name, table in TABLES.items():
        node = manifest["nodes"][f"model.itsm.stg_raw__{name}"]
        assert node["description"].strip(), name
        expected = [*table.column_names, *(c.name for c in LINEAGE_COLUMNS if c.name != "_extra")]
        assert list(node["columns"]) == expected, name
        undocumented = [c for c, spec in node["columns"].items() if not spec["description"].strip()]
        assert undocumented == [], name


def test_raw_sources_expect_daily_exports_by_load_time(manifest: dict[str, Any]):
    sources = {s["name"]: s for s in manifest["sources"].values() if s["source_name"] == "raw"}
    for name in ("tickets", "ticket_events"):
        assert sources[name]["loaded_at_field"] == "_loaded_at"
        assert sources[name]["freshness"]["warn_after"] == {"count": 36, "period": "hour"}
        assert sources[name]["freshness"]["error_after"] == {"count": 7, "period": "day"}
    for name in ("changes", "surveys"):
        assert sources[name]["freshness"]["warn_after"] == {"count": 7, "period": "day"}
        assert sources[name]["freshness"]["error_after"]["count"] is None
    # outages arrive only when something fails: no expectation
    assert sources["outages"]["freshness"] is None or sources["outages"]["freshness"]["warn_after"]["count"] is None


def _dbt_node(manifest: dict[str, Any], relation: str) -> str | None:
    """The manifest node of a `schema.table` the code reads; None for tables dbt does not build (dq.*)."""
    schema, table = relation.split(".")
    if schema == "raw":
        return f"source.itsm.raw.{table}"
    matches = [uid for uid, node in manifest["nodes"].items() if node["resource_type"] in ("model", "seed")]
    matches = [uid for uid in matches if manifest["nodes"][uid]["name"] == table]
    assert schema != "dq" or not matches, relation
    return matches[0] if matches else None


def test_each_extract_kind_has_an_exposure_on_exactly_the_relations_it_reads(manifest: dict[str, Any]):
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    for kind in KINDS.values():
        exposure = exposures[f"audit_extract_{kind.name.replace('-', '_')}"]
        expected = {_dbt_node(manifest, relation) for relation in kind.requires} - {None}
        assert set(exposure["depends_on"]["nodes"]) == expected, kind.name
        not_dbt = {r for r in kind.requires if _dbt_node(manifest, r) is None}
        assert {r.split(".")[0] for r in not_dbt} <= {"dq"}, kind.name


def test_the_report_and_app_exposures_depend_on_what_the_dashboards_query(manifest: dict[str, Any]):
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    expected = {_dbt_node(manifest, f"x.{table}") for table in (*MART_TABLES, *REFERENCE_TABLES)}
    expected |= {"source.itsm.raw.quarantine", "source.itsm.raw.load_log"}  # quarantine chart, about-this-data strip
    assert None not in expected
    for name in ("itsm_report", "itsm_dashboard_app"):
        assert set(exposures[name]["depends_on"]["nodes"]) == expected, name
    assert exposures["audit_period_close"]["depends_on"]["nodes"] == ["model.itsm.kpi_monthly_long"]


def test_every_exposure_ref_resolves_to_a_node_of_the_project(manifest: dict[str, Any]):
    known = set(manifest["nodes"]) | set(manifest["sources"])
    for exposure in manifest["exposures"].values():
        assert exposure["depends_on"]["nodes"], exposure["name"]
        assert set(exposure["depends_on"]["nodes"]) <= known, exposure["name"]


def test_source_freshness_warns_when_the_daily_ticket_export_is_late(
    empty_warehouse: Path, tmp_path: Path, dbt
) -> None:
    # tickets last loaded 48 hours ago: past the 36-hour warning, short of the 7-day error;
    # changes loaded 24 hours ago: inside their 7-day warning.
    with duckdb.connect(str(empty_warehouse)) as conn:
        conn.execute(
            """insert into raw.tickets (ticket_id, ticket_type, opened_at, state, priority,
                                        _source_file, _file_sha256, _row_number, _loaded_at, _load_id)
               values ('T1', 'incident', now() - interval 3 day, 'new', 2, 'a.csv', 'x', 1,
                       now() - interval 48 hour, 1)"""
        )
        conn.execute(
            """insert into raw.changes (change_id, change_type, requested_at,
                                        _source_file, _file_sha256, _row_number, _loaded_at, _load_id)
               values ('C1', 'normal', now() - interval 3 day, 'b.csv', 'y', 1, now() - interval 24 hour, 2)"""
        )
    results = tmp_path / "sources.json"
    dbt(
        ["source", "freshness", "--select", "source:raw.tickets", "source:raw.changes", "--output", str(results)],
        empty_warehouse,
        tmp_path,
    )
    status = {r["unique_id"]: r["status"] for r in json.loads(results.read_text())["results"]}
    assert status == {"source.itsm.raw.tickets": "warn", "source.itsm.raw.changes": "pass"}


def test_the_project_instance_is_the_one_make_points_at_and_queues_runs_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "export DAGSTER_HOME := $(CURDIR)\n" in makefile  # the folder of dagster.yaml
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    monkeypatch.chdir(tmp_path)  # .dagster/ is created under the working directory
    with DagsterInstance.get() as instance:
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, QueuedRunCoordinator)
        assert coordinator.get_run_queue_config().max_concurrent_runs == 1
        assert not instance.telemetry_enabled
    assert (tmp_path / ".dagster" / "storage").is_dir()


def test_make_ui_serves_the_same_code_location_as_the_dagster_cli():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "$(VENV)/bin/dg dev -w workspace.yaml -h 127.0.0.1 -p 3000" in makefile
    (entry,) = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())["load_from"]
    tool = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["dagster"]
    assert entry["python_module"] == {"module_name": tool["module_name"], "location_name": tool["code_location_name"]}
