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
from pipelines.extracts.request import ExtractError
from pipelines.extracts.writer import CSV_TEXT_ESCAPING, sha256_file
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
        "csv_text_escaping": CSV_TEXT_ESCAPING,
    }


# What `new_manifest` writes: every key is required, with its JSON type, so a damaged or hand-made manifest is
# refused instead of half-read (an empty or missing file list must never verify as "nothing altered").
MANIFEST_KEYS: dict[str, type] = {
    "manifest_version": int,
    "request": dict,
    "created_at": str,
    "code_version": dict,
    "run_ids": dict,
    "privacy": dict,
    "datasets": list,
    "files": list,
}
FILE_ENTRY_KEYS: dict[str, type] = {
    "name": str,
    "dataset": str,
    "format": str,
    "rows": int,
    "bytes": int,
    "sha256": str,
}
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _type_problem(where: str, key: str, value: object, expected: type) -> str | None:
    # JSON true/false load as bool, a subclass of int: a count or version must be a real number.
    if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
        return None
    names = {int: "an integer", str: "a string", dict: "an object", list: "a list"}
    return f"{where}{key} must be {names[expected]}, not {json.dumps(value)[:40]}"


def unsafe_file_name(name: str) -> bool:
    """A manifest entry names one file directly inside the extract folder: no folders, no way out of it."""
    return (
        name in ("", ".", "..", MANIFEST_NAME)
        or "/" in name
        or "\\" in name
        or "\0" in name
        or Path(name).is_absolute()
    )


def manifest_problems(body: object) -> list[str]:
    """Why `body` is not a manifest as `new_manifest` writes it (empty list: it is one)."""
    if not isinstance(body, dict):
        return ["the top level is not a JSON object"]
    problems = [f"missing key {key!r}" for key in MANIFEST_KEYS if key not in body]
    problems += [
        problem
        for key, expected in MANIFEST_KEYS.items()
        if key in body and (problem := _type_problem("", key, body[key], expected))
    ]
    files = body.get("files")
    if problems or not isinstance(files, list):
        return problems
    if not files:
        return ["the file list is empty (an extract always lists its data files): the data may have been removed"]
    seen: set[str] = set()
    for index, entry in enumerate(files):
        where = f"files[{index}]."
        if not isinstance(entry, dict):
            problems.append(f"files[{index}] is not an object")
            continue
        problems += [f"missing key {where}{key}" for key in FILE_ENTRY_KEYS if key not in entry]
        problems += [
            problem
            for key, expected in FILE_ENTRY_KEYS.items()
            if key in entry and (problem := _type_problem(where, key, entry[key], expected))
        ]
        name, sha = entry.get("name"), entry.get("sha256")
        if isinstance(name, str):
            if unsafe_file_name(name):
                problems.append(
                    f"{where}name {name!r} is not a plain file name inside the extract folder (no '..', '/' or "
                    "absolute paths)"
                )
            elif name in seen:
                problems.append(f"{where}name {name!r} is listed twice")
            seen.add(name)
        if isinstance(sha, str) and not _SHA256.fullmatch(sha):
            problems.append(f"{where}sha256 is not 64 lowercase hex digits")
    return problems


def read_manifest(directory: Path) -> dict[str, object]:
    """The folder's manifest, checked against what `new_manifest` writes; ExtractError says what is wrong."""
    path = directory / MANIFEST_NAME
    if path.is_symlink():
        raise ExtractError(f"{path} is a symbolic link: a manifest is a regular file inside its extract folder")
    if not path.is_file():
        raise ExtractError(f"{directory} has no {MANIFEST_NAME}: not an extract directory")
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ExtractError(
            f"{path} is not valid JSON ({err}): the manifest is damaged; restore the extract from its original copy"
        ) from err
    problems = manifest_problems(body)
    if problems:
        raise ExtractError(f"{path} is not a valid extract manifest: {'; '.join(problems)}")
    return body
