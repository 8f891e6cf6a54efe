"""The dbt docs site (`itsm docs`): built once per change, then served as it is.

`dbt docs generate` parses the project, compiles every model and reads the warehouse's catalog. That is only needed
when something it shows changed: a dbt file (models, macros, seeds, tests, project, profile) or the warehouse (a run
rebuilt the tables). Otherwise the site written by the previous `itsm docs` is current and is served at once.
Generating starts from the parse state of the warehouse's last run (pipelines/assets/transformation.py keeps it
beside the warehouse), so dbt re-parses only what changed since that run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR, Settings

# What `dbt docs serve` and the single-file site need; a folder missing any of them is rebuilt.
DOCS_FILES = ("manifest.json", "catalog.json", "index.html", "static_index.html")
PARTIAL_PARSE = "partial_parse.msgpack"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


def docs_dir(settings: Settings) -> Path:
    return settings.output_dir / "dbt_docs"


def dbt_source_files(project_dir: Path = DBT_PROJECT_DIR) -> Iterator[Path]:
    """Every file whose change changes what dbt parses."""
    for name in ("dbt_project.yml", "profiles.yml"):
        if (project_dir / name).exists():
            yield project_dir / name
    for folder in ("models", "macros", "seeds", "tests"):
        yield from (p for p in (project_dir / folder).rglob("*") if p.is_file())


def stale_reason(target: Path, warehouse: Path, project_dir: Path = DBT_PROJECT_DIR) -> str | None:
    """Why the docs in `target` must be generated again, or None when they show the current project and warehouse."""
    missing = [name for name in DOCS_FILES if not (target / name).exists()]
    if missing:
        return f"not built yet ({', '.join(missing)} missing)"
    built = min((target / name).stat().st_mtime for name in DOCS_FILES)
    if warehouse.exists() and warehouse.stat().st_mtime > built:
        return "the warehouse changed since they were built"
    changed = [p for p in dbt_source_files(project_dir) if p.stat().st_mtime > built]
    if changed:
        return f"the dbt project changed since they were built ({changed[0].relative_to(project_dir)})"
    return None


def generate_docs(settings: Settings, target: Path) -> int:
    """`dbt docs generate --static` into `target`; dbt's exit code. Starts from the last run's parse state."""
    target.mkdir(parents=True, exist_ok=True)
    parse_state = settings.warehouse_path.with_name(f"{settings.warehouse_path.name}.{PARTIAL_PARSE}")
    if parse_state.exists():
        shutil.copyfile(parse_state, target / PARTIAL_PARSE)
    dbt = str(DBT_EXECUTABLE) if DBT_EXECUTABLE.exists() else "dbt"
    command = [
        *(dbt, "docs", "generate", "--static"),
        *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
        *("--target-path", str(target), "--log-path", str(target / "logs")),
        # the run's vars (the warehouse): dbt starts from the run's parse state instead of parsing everything
        *("--vars", json.dumps(settings.dbt_vars())),
    ]
    code = subprocess.run(command, check=False).returncode
    if code == 0:
        # Dated after dbt closed the warehouse, which its catalog query may have touched.
        for name in DOCS_FILES:
            os.utime(target / name)
    return code
