"""dbt models as Dagster assets (dagster-dbt). dbt tests surface as asset checks on the models they test.

Assets are grouped the way the dbt project is laid out: `staging`, `intermediate`, one group per mart domain
(`incidents`, `changes`, `availability`, `satisfaction`, `service`, `audit`) and `reference` for the seeds.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines.child_process import dying_with_parent
from pipelines.resources import WarehouseResource
from pipelines.settings import DBT_PROJECT_DIR, Settings

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale(project: DbtProject) -> bool:
    """True when a model, macro, seed or project file changed after the manifest was written."""
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds"):
        sources.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return any(p.stat().st_mtime > built for p in sources)


def _parse_manifest(project: DbtProject) -> None:
    """`dbt parse` into a private folder, then swap the manifest (and dbt's parse state) in atomically: two
    processes that load definitions at once would otherwise read each other's half-written manifest.json."""
    target = Path(project.manifest_path).parent
    target.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with tempfile.TemporaryDirectory(dir=target, prefix="parse-") as scratch:
        if (target / PARTIAL_PARSE).exists():  # keeps the re-parse partial (only changed files)
            shutil.copyfile(target / PARTIAL_PARSE, Path(scratch) / PARTIAL_PARSE)
        subprocess.run(
            [
                str(DBT_EXECUTABLE) if DBT_EXECUTABLE.exists() else "dbt",
                *("parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR)),
                *("--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", scratch),
            ],
            check=True,
        )
        if (Path(scratch) / PARTIAL_PARSE).exists():
            os.replace(Path(scratch) / PARTIAL_PARSE, target / PARTIAL_PARSE)
        os.replace(Path(scratch) / "manifest.json", target / "manifest.json")
    # Dated when the parse started: a file edited while dbt was parsing is newer, so the next load re-parses.
    os.utime(target / "manifest.json", (started, started))


# `make` prepares the manifest once (`dbt parse`) so loading definitions stays cheap; it is re-parsed here only
# when missing or older than the dbt sources (an edited model must never run against an old graph).
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
PARTIAL_PARSE = "partial_parse.msgpack"
if _manifest_is_stale(DBT_PROJECT):
    _parse_manifest(DBT_PROJECT)


class ItsmDbtTranslator(DagsterDbtTranslator):
    """Groups dbt assets by the folder they live in, so the asset graph reads layer by layer and domain by domain."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_group_name(dbt_resource_props)


def dbt_group_name(dbt_resource_props: Mapping[str, Any]) -> str:
    """`staging` / `intermediate` from the layer folder, the domain folder under `marts/`, `reference` for seeds.

    The fqn is [project, folder..., name]: models/marts/incidents/fct_incident.sql -> itsm.marts.incidents.
    """
    if dbt_resource_props["resource_type"] == "seed":
        return "reference"
    folders = list(dbt_resource_props["fqn"][1:-1])
    if folders[:1] == ["marts"] and len(folders) > 1:
        return folders[1]
    if folders:
        return folders[0]
    raise ValueError(
        f"dbt model {dbt_resource_props['name']} sits directly in models/; put it in staging/, intermediate/ or "
        "marts/<domain>/ so it gets a Dagster group"
    )


# Source tests too: otherwise dagster-dbt logs each source test of a build as an AssetObservation with a warning.
TRANSLATOR = ItsmDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=True)
)


def partial_parse_cache(warehouse: Path) -> Path:
    """dbt's parse state kept beside the warehouse it was parsed for. The dbt vars name the warehouse path, so dbt
    re-parses the whole project whenever the state comes from another warehouse, e.g. the one `make` parsed for;
    per-warehouse state makes every later run a partial parse (dbt re-checks file hashes, profile and vars itself
    and re-parses whatever changed)."""
    return warehouse.with_name(f"{warehouse.name}.{PARTIAL_PARSE}")


def dbt_build_args(settings: Settings) -> list[str]:
    """`dbt build` on the warehouse of `settings`: its path and DuckDB memory limit go to profiles.yml as dbt vars,
    and `--full-refresh` when the run asks for one."""
    full_refresh = ["--full-refresh"] if settings.full_refresh else []
    return ["build", *full_refresh, "--vars", json.dumps(settings.dbt_vars())]


@dbt_assets(manifest=DBT_PROJECT.manifest_path, dagster_dbt_translator=TRANSLATOR)
def itsm_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    settings = warehouse.settings
    # The folder name dagster-dbt would choose (<op>-<run id[:7]>-<random>; audit_build_info traces runs by it)
    name = f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    target = Path(os.environ.get("DBT_TARGET_PATH", "target")) / name
    state, cache = DBT_PROJECT_DIR / target / PARTIAL_PARSE, partial_parse_cache(settings.warehouse_path)
    if cache.exists():  # dagster-dbt copies the project's own state only when the folder has none
        state.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, state)
    yield from dbt.cli(dbt_build_args(settings), context=context, target_path=target).stream()
    if state.exists() and cache.parent.exists():
        shutil.copyfile(state, cache.with_suffix(".tmp"))
        os.replace(cache.with_suffix(".tmp"), cache)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=DBT_PROJECT,
        profiles_dir=str(DBT_PROJECT_DIR),
        # dbt dies with the run that started it, however the run is stopped (pipelines/child_process.py)
        dbt_executable=dying_with_parent(
            str(DBT_EXECUTABLE) if DBT_EXECUTABLE.exists() else shutil.which("dbt") or "dbt"
        ),
    )


ASSETS = [itsm_dbt_models]
