"""DuckDB CPU of one dbt build's SQL alone: the floor under that build's wall time on this machine.

    .venv/bin/python bench/e2e.py                    # leaves its warehouse in /tmp/itsm_bench_e2e/1000000/run
    .venv/bin/python bench/e2e_sql_cpu.py            # replays that run's costliest dbt build (the full refresh)
    .venv/bin/python bench/e2e_sql_cpu.py /tmp/e2e/1000000/run --build /tmp/e2e/1000000/run/dbt_target/<build>

Takes a warehouse left by bench/e2e.py (or any pipeline run) and the dbt target folder of one of its builds
(default: the build with the longest elapsed time, i.e. the full refresh), copies the warehouse aside and
replays, one statement at a time in one DuckDB connection, the SQL dbt compiled for every table and incremental
model (as CREATE TABLE ... AS) and every data test (as a count of its failing rows). Ephemeral models are inside
the SQL of the models that read them; views and seeds are skipped (they cost next to nothing).

The replay reads the warehouse as the run left it, so it measures a build only where that state matches the
build's input: the full refresh (every table rebuilt from data the final state still holds, plus the 1 % delta)
or the last build. An empty-data build compiled with every ticket to refresh and would replay the full one.

It prints the CPU seconds of each costly node and the totals. Divided by the machine's cores, the total is the
least wall time this SQL can take, with no dbt, Dagster, ingest or checks around it and with both cores busy
all the time. Compare it with the target before tuning anything else.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb


def costliest_build(run_dir: Path) -> Path:
    """The dbt target folder (under run_dir/dbt_target) whose run_results.json has the longest elapsed time."""
    found = list((run_dir / "dbt_target").glob("*/run_results.json"))
    if not found:
        raise SystemExit(f"no dbt build under {run_dir / 'dbt_target'}: run bench/e2e.py first (its --work holds it)")
    return max(found, key=lambda p: json.loads(p.read_text())["elapsed_time"]).parent


def replay(warehouse: Path, build: Path, scratch_schema: str = "bench_replay") -> list[tuple[float, str, str]]:
    """CPU seconds of each model and test of the build, run alone; a copy of the warehouse is used."""
    manifest = json.loads((build / "manifest.json").read_text())
    results = json.loads((build / "run_results.json").read_text())["results"]
    with tempfile.TemporaryDirectory(prefix="dbt_sql_cpu_") as tmp:
        # Same file name: compiled SQL names the catalog after it.
        copy = Path(tmp) / warehouse.name
        shutil.copyfile(warehouse, copy)
        conn = duckdb.connect(str(copy))
        conn.execute("SET TimeZone = 'UTC'")  # as dbt's profile sets it (after connecting: ICU loads first)
        conn.execute(f"create schema if not exists {scratch_schema}")
        costs = []
        for result in results:
            node = manifest["nodes"].get(result["unique_id"])
            sql = result.get("compiled_code")
            if node is None or not sql:
                continue
            kind = node["resource_type"]
            if kind == "model" and node["config"]["materialized"] in ("table", "incremental"):
                statement = f"create or replace table {scratch_schema}.replayed as {sql}"
            elif kind == "test":
                statement = f"select count(*) from ({sql}) as failing"
            else:
                continue
            started = time.process_time()
            conn.execute(statement).fetchall()
            costs.append((time.process_time() - started, kind, node["name"]))
        conn.close()
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "run_dir",
        type=Path,
        nargs="?",
        default=Path("/tmp/itsm_bench_e2e/1000000/run"),
        help="a run folder of bench/e2e.py, holding itsm.duckdb and dbt_target/ (default: e2e.py's default)",
    )
    parser.add_argument("--build", type=Path, help="one dbt target folder (default: the costliest build)")
    parser.add_argument("--top", type=int, default=15, help="how many of the costliest nodes to list")
    args = parser.parse_args()
    build = args.build or costliest_build(args.run_dir)
    warehouse = args.run_dir / "itsm.duckdb"
    print(f"replaying {build.name} on a copy of {warehouse} ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    costs = replay(warehouse, build)
    for cpu, kind, name in sorted(costs, reverse=True)[: args.top]:
        print(f"  {cpu:6.2f} CPU-s  {kind:5}  {name}")
    models = sum(cpu for cpu, kind, _ in costs if kind == "model")
    tests = sum(cpu for cpu, kind, _ in costs if kind == "test")
    cores = os.cpu_count() or 1
    print(f"models {models:.1f} CPU-s, tests {tests:.1f} CPU-s, {len(costs)} nodes")
    print(f"least wall time of this SQL on {cores} cores: {(models + tests) / cores:.1f} s")


if __name__ == "__main__":
    main()
