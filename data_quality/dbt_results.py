"""dbt test outcomes (run_results.json + manifest.json of one target folder) as dq.check_results rows, in the same
audit history as the other checks. dbt's severity maps onto ours: `error` -> blocking, `warn` -> warning."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from data_quality.results import RESULTS_TABLE, ensure_results_table, write_results
from data_quality.specs import CheckResult, Severity, Status

# dbt test statuses: pass / fail / warn / error / skipped.
_STATUS = {"pass": Status.PASSED, "fail": Status.FAILED, "warn": Status.FAILED, "error": Status.ERROR}


def _relation(manifest: dict, node_id: str) -> str:
    node = manifest.get("nodes", {}).get(node_id) or manifest.get("sources", {}).get(node_id) or {}
    name = node.get("alias") or node.get("identifier") or node.get("name") or node_id
    return f"{node['schema']}.{name}" if node.get("schema") else name


def dbt_test_results(target_dir: Path) -> list[CheckResult]:
    """One CheckResult per dbt test in the last invocation recorded in `target_dir` (skipped: not applicable)."""
    run_results_path, manifest_path = target_dir / "run_results.json", target_dir / "manifest.json"
    if not run_results_path.exists() or not manifest_path.exists():
        return []
    run_results = json.loads(run_results_path.read_text())
    manifest = json.loads(manifest_path.read_text())
    results: list[CheckResult] = []
    for item in run_results.get("results", []):
        unique_id = item.get("unique_id", "")
        node = manifest.get("nodes", {}).get(unique_id)
        if not unique_id.startswith("test.") or node is None:
            continue
        parents = node.get("depends_on", {}).get("nodes", [])
        asset = _relation(manifest, node.get("attached_node") or (parents[0] if parents else unique_id))
        dbt_severity = str(node.get("config", {}).get("severity", "error")).lower()
        status = _STATUS.get(item.get("status"), Status.NOT_APPLICABLE)
        failures = item.get("failures")
        results.append(
            CheckResult(
                check_name=f"dbt:{node['name']}",
                asset=asset,
                severity=Severity.BLOCKING if dbt_severity == "error" else Severity.WARNING,
                status=status,
                observed_value=float(failures) if failures is not None else None,
                failing_row_count=int(failures) if failures is not None else None,
                check_type=(node.get("test_metadata") or {}).get("name", "singular"),
                engine="dbt",
                details=f"dbt test {item.get('status')}: {item.get('message') or ''}".strip(),
            )
        )
    return results


def latest_run_results_dir(target_root: Path) -> Path | None:
    """The folder of the newest run_results.json at or under `target_root` (dagster-dbt writes one folder per
    invocation under it, a bare `dbt build` writes to it): the last build's outcome."""
    candidates = [p for p in target_root.rglob("run_results.json") if (p.parent / "manifest.json").exists()]
    if not candidates:
        return None
    return max(candidates, key=lambda p: p.stat().st_mtime).parent


def record_dbt_tests_of_run(conn: duckdb.DuckDBPyConnection, run_id: str, target_root: Path) -> int:
    """Record, once per run, the dbt tests dagster-dbt ran inside Dagster run `run_id`: from the invocation folders
    under `target_root` that dagster-dbt names `<op>-<run id[:7]>-<random>`."""
    ensure_results_table(conn)
    (already,) = conn.execute(
        f"select count(*) from {RESULTS_TABLE} where run_id = ? and engine = 'dbt'", [run_id]
    ).fetchone()
    if already:
        return 0
    folders = sorted(p.parent for p in target_root.glob(f"*-{run_id[:7]}-*/run_results.json"))
    return sum(write_results(conn, run_id, dbt_test_results(folder)) for folder in folders)
