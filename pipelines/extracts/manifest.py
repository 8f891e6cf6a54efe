"""`manifest.json`: what was asked, when, by which code, from which runs, and the SHA-256 of every file.

The manifest is the evidence index. Its own SHA-256 (printed by `itsm extract`, stored by `itsm close-period`)
anchors it: altering a data file breaks its listed hash, and rewriting the manifest to match breaks the anchor.
"""

from __future__ import annotations

import functools
import json
import platform
import re
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import duckdb

from pipelines.extracts.connection import first_row, relation_exists
from pipelines.extracts.writer import sha256_file
from pipelines.settings import PROJECT_ROOT

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
BUILD_INFO_RELATION = "marts.audit_build_info"


def _git(*args: str) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def code_version() -> dict[str, object]:
    """Git commit (and whether tracked files differ from it) when run from a checkout; package version always."""
    commit = _git("rev-parse", "HEAD")
    dirty = None
    if commit:
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "git_commit": commit,
        "git_dirty": dirty,
        "package": "itsm-pipeline",
        "package_version": _package_version("itsm-pipeline"),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": _package_version("dbt-core"),
        "dagster": _package_version("dagster"),
    }


def code_version_label() -> str:
    info = code_version()
    if info["git_commit"]:
        return f"{info['git_commit']}{'-dirty' if info['git_dirty'] else ''}"
    return f"itsm-pipeline {info['package_version']}"


def dagster_run_prefix(dbt_target_path: str | None) -> str | None:
    """dagster-dbt names each invocation's target folder <op>-<run id[:7]>-<random 7>; recover the run prefix."""
    match = re.search(r"-([0-9a-f]{7})-[0-9a-f-]{7}$", (dbt_target_path or "").rstrip("/"))
    return match.group(1) if match else None


def run_ids(conn: duckdb.DuckDBPyConnection, dagster_run_id: str | None = None) -> dict[str, object]:
    """The runs behind the data: last raw load, the dbt invocation that built the marts, the last check run."""
    ids: dict[str, object] = {"dagster_run_id": dagster_run_id}
    if relation_exists(conn, "raw.load_log"):
        row = first_row(conn, "select max(load_id) from raw.load_log where status = 'loaded'")
        ids["last_load_id"] = row[0] if row else None
    if relation_exists(conn, BUILD_INFO_RELATION):
        cursor = conn.execute(f"select * from {BUILD_INFO_RELATION} limit 1")
        names = [d[0] for d in cursor.description]
        found = cursor.fetchall()
        if found:
            info = dict(zip(names, found[0], strict=True))
            ids["dbt_invocation_id"] = info.get("dbt_invocation_id")
            ids["dbt_version"] = info.get("dbt_version")
            ids["marts_built_at"] = info["built_at"].isoformat() if info.get("built_at") else None
            ids["marts_built_by"] = info.get("invoked_by")
            ids["marts_dagster_run_id_prefix"] = dagster_run_prefix(info.get("dbt_target_path"))
    if relation_exists(conn, "dq.check_results"):
        row = first_row(
            conn,
            """select run_id, count(*), count(*) filter (where passed is false),
                      count(*) filter (where passed is false and severity = 'blocking')
               from dq.check_results
               where run_id = (select run_id from dq.check_results order by checked_at desc limit 1)
               group by run_id""",
        )
        if row:
            ids["dq_run_id"] = row[0]
            ids["dq_checks"], ids["dq_failed"], ids["dq_blocking_failed"] = row[1], row[2], row[3]
    return ids


def write_manifest(directory: Path, body: dict[str, object]) -> str:
    """Write `manifest.json` (stable key order, trailing newline) and return its SHA-256."""
    path = directory / MANIFEST_NAME
    path.write_text(json.dumps(body, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return sha256_file(path)


def new_manifest(
    request: dict[str, object],
    files: list[dict[str, object]],
    datasets: list[dict[str, object]],
    runs: dict[str, object],
    privacy: dict[str, object],
) -> dict[str, object]:
    return {
        "manifest_version": MANIFEST_VERSION,
        "request": request,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "run_ids": runs,
        "privacy": privacy,
        "datasets": datasets,
        "files": files,
    }


def read_manifest(directory: Path) -> dict[str, object]:
    return json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
