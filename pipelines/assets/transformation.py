"""dbt models as Dagster assets (dagster-dbt). dbt tests surface as asset checks on the models they test."""

import os
import sys
from pathlib import Path

from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines.settings import DBT_PROJECT_DIR

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is re-parsed on load; everywhere else `make` prepares it once (`dbt parse`)
# so loading definitions stays cheap.
DBT_PROJECT.prepare_if_dev()

TRANSLATOR = DagsterDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=DBT_PROJECT.manifest_path, dagster_dbt_translator=TRANSLATOR)
def itsm_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


def dbt_resource() -> DbtCliResource:
    executable = Path(sys.executable).with_name("dbt")
    return DbtCliResource(
        project_dir=DBT_PROJECT,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(executable) if executable.exists() else "dbt",
    )


ASSETS = [itsm_dbt_models]
