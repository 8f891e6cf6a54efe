"""Settings flow one way: Settings -> the warehouse resource -> the assets and dbt; run options as Dagster run config.
Nothing is read back from, or written to, the environment while a run goes on."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pytest
from dagster import AssetKey, asset, materialize, validate_run_config

from pipelines.cli import main
from pipelines.commands import core
from pipelines.commands.run_worker import parse_args
from pipelines.resources import WarehouseResource
from pipelines.settings import Settings


def _every_setting_changed(root: Path) -> Settings:
    return Settings(
        warehouse_path=root / "wh" / "itsm.duckdb",
        inbox_dir=root / "in",
        output_dir=root / "out",
        source_timezones={"servicenow": "Europe/London"},
        default_timezone="America/New_York",
        adapter_override="jira",
        mapping_file=root / "mapping.yml",
        full_refresh=True,
        duckdb_memory_limit="1GB",
        schedule_cron="30 5 * * 1-5",
        schedule_timezone="Europe/Paris",
    )


@asset
def settings_probe(warehouse: WarehouseResource) -> Settings:
    return warehouse.settings


def _settings_in_a_run(resource: Any, run_config: dict[str, Any] | None = None) -> Settings:
    result = materialize([settings_probe], resources={"warehouse": resource}, run_config=run_config)
    return result.output_for_node("settings_probe")


def test_a_run_sees_the_settings_the_resource_was_made_from_not_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    settings = _every_setting_changed(tmp_path)
    resource = WarehouseResource.from_settings(settings)
    for variable in ("ITSM_WAREHOUSE", "ITSM_INBOX", "ITSM_MAPPING", "ITSM_DUCKDB_MEMORY_LIMIT"):
        monkeypatch.setenv(variable, str(tmp_path / "elsewhere"))
    monkeypatch.setenv("ITSM_FULL_REFRESH", "0")
    assert _settings_in_a_run(resource) == settings


def test_the_pseudonym_key_is_never_in_the_resource_config_but_reaches_the_run(monkeypatch: pytest.MonkeyPatch):
    key = "a-secret-key-of-at-least-16-characters"
    monkeypatch.setenv("ITSM_PSEUDONYM_KEY", key)
    resource = WarehouseResource.from_settings(Settings.from_env())
    assert key not in repr(resource.get_resource_definition().config_schema.as_field().default_value)
    assert _settings_in_a_run(resource).pseudonym_key == key


def test_full_refresh_run_config_changes_full_refresh_and_keeps_every_other_setting(tmp_path: Path):
    settings = _every_setting_changed(tmp_path)
    incremental = WarehouseResource.from_settings(replace(settings, full_refresh=False))
    seen = _settings_in_a_run(incremental, core.refresh_run_config(full_refresh=True))
    assert seen == settings  # full_refresh now True, the rest as configured
    assert _settings_in_a_run(incremental, core.refresh_run_config(full_refresh=False)).full_refresh is False


def test_the_refresh_job_accepts_the_full_refresh_run_config():
    from pipelines.definitions import defs

    job = defs.resolve_job_def("itsm_refresh")
    resolved = validate_run_config(job, core.refresh_run_config(full_refresh=True, log_level="DEBUG"))
    config = resolved["resources"]["warehouse"]["config"]
    assert config["full_refresh"] is True
    assert set(config) == set(WarehouseResource.model_fields)  # every other setting keeps its configured value


class _FakeWorker:
    """Stands in for the run's child process: records how it was started and succeeds at once."""

    started: ClassVar[list[tuple[list[str], dict[str, str]]]] = []

    def __init__(self, command: list[str], env: dict[str, str], **_kwargs: Any) -> None:
        self.pid = os.getpid()
        _FakeWorker.started.append((command, env))

    def wait(self) -> int:
        return 0


def test_itsm_run_full_refresh_passes_it_to_the_run_and_leaves_the_environment_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    (tmp_path / "inbox").mkdir()
    monkeypatch.setenv("ITSM_WAREHOUSE", str(tmp_path / "itsm.duckdb"))
    monkeypatch.setenv("ITSM_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("ITSM_OUTPUT_DIR", str(tmp_path / "build"))
    monkeypatch.delenv("ITSM_FULL_REFRESH", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setattr(core.subprocess, "Popen", _FakeWorker)
    monkeypatch.setattr(core.signal, "signal", lambda *_args: None)  # the test process keeps its own handlers
    _FakeWorker.started.clear()
    before = dict(os.environ)

    assert main(["run", "--full-refresh"]) == 0
    assert dict(os.environ) == before
    ((command, env),) = _FakeWorker.started
    worker = parse_args(command[command.index("pipelines.commands.run_worker") + 1 :])
    assert worker.full_refresh and worker.log is not None
    assert "ITSM_FULL_REFRESH" not in env
    assert env["DAGSTER_HOME"] == str(core.PROJECT_ROOT)  # handed to the child, not set in this process
    assert "run succeeded" in capsys.readouterr().out

    _FakeWorker.started.clear()
    assert main(["run"]) == 0
    ((command, _env),) = _FakeWorker.started
    assert not parse_args(command[command.index("pipelines.commands.run_worker") + 1 :]).full_refresh


def test_dbt_build_args_hand_dbt_the_settings_warehouse_and_full_refresh(tmp_path: Path):
    import json

    from pipelines.assets.transformation import dbt_build_args

    settings = Settings(warehouse_path=tmp_path / "itsm.duckdb", duckdb_memory_limit="2GB")
    args = dbt_build_args(settings)
    assert args[0] == "build" and "--full-refresh" not in args
    assert json.loads(args[args.index("--vars") + 1]) == {
        "warehouse_path": str(tmp_path / "itsm.duckdb"),
        "duckdb_memory_limit": "2GB",
    }
    assert "--full-refresh" in dbt_build_args(Settings(full_refresh=True))


@pytest.mark.dbt
def test_dbt_builds_in_the_resource_warehouse_while_itsm_warehouse_points_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from pipelines.assets.transformation import dbt_resource, itsm_dbt_models

    elsewhere = tmp_path / "elsewhere" / "itsm.duckdb"
    monkeypatch.setenv("ITSM_WAREHOUSE", str(elsewhere))
    settings = Settings(warehouse_path=tmp_path / "wh" / "itsm.duckdb", inbox_dir=tmp_path, output_dir=tmp_path)
    settings.warehouse_path.parent.mkdir()
    result = materialize(
        [itsm_dbt_models],
        selection=[AssetKey(["reference", "kpi_targets"])],
        resources={"warehouse": WarehouseResource.from_settings(settings), "dbt": dbt_resource()},
    )
    assert result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        assert conn.execute("select count(*) from reference.kpi_targets").fetchone()[0] > 0
    assert not elsewhere.exists() and not elsewhere.parent.exists()
