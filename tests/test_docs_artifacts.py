"""`itsm docs` serves the site it built before and rebuilds it only when the warehouse or a dbt file changed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipelines.dbt_docs import DOCS_FILES, stale_reason
from tests.conftest import run_itsm


def dated(path: Path, seconds_ago: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("x")
    stamp = time.time() - seconds_ago
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A dbt project edited an hour ago, a warehouse rebuilt 30 minutes ago, docs built 10 minutes ago."""
    project, target, warehouse = tmp_path / "dbt", tmp_path / "docs", tmp_path / "itsm.duckdb"
    dated(project / "dbt_project.yml", 3600)
    dated(project / "models" / "marts" / "fct_x.sql", 3600)
    dated(warehouse, 1800)
    for name in DOCS_FILES:
        dated(target / name, 600)
    return project, target, warehouse


def test_docs_built_after_the_last_run_and_edit_are_current(layout: tuple[Path, Path, Path]):
    project, target, warehouse = layout
    assert stale_reason(target, warehouse, project) is None


def test_docs_are_rebuilt_when_a_file_is_missing(layout: tuple[Path, Path, Path]):
    project, target, warehouse = layout
    (target / "catalog.json").unlink()
    assert stale_reason(target, warehouse, project) == "not built yet (catalog.json missing)"


def test_docs_are_rebuilt_after_a_run_changed_the_warehouse(layout: tuple[Path, Path, Path]):
    project, target, warehouse = layout
    dated(warehouse, 60)
    assert stale_reason(target, warehouse, project) == "the warehouse changed since they were built"


def test_docs_are_rebuilt_after_a_dbt_file_changed(layout: tuple[Path, Path, Path]):
    project, target, warehouse = layout
    dated(project / "models" / "marts" / "fct_x.sql", 60)
    reason = stale_reason(target, warehouse, project)
    assert reason == f"the dbt project changed since they were built ({Path('models/marts/fct_x.sql')})"


@pytest.mark.slow
def test_a_second_itsm_docs_serves_the_site_built_by_the_first(empty_warehouse: Path, tmp_path: Path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ITSM_")},
        "ITSM_WAREHOUSE": str(empty_warehouse),
        "ITSM_OUTPUT_DIR": str(tmp_path / "build"),
    }
    first = run_itsm(["docs", "--no-serve"], env)
    assert "building the dbt docs: not built yet" in first.stdout
    catalog = tmp_path / "build" / "dbt_docs" / "catalog.json"
    built = catalog.stat().st_mtime_ns
    second = run_itsm(["docs", "--no-serve"], env)
    assert "are current" in second.stdout and "building" not in second.stdout
    assert catalog.stat().st_mtime_ns == built
