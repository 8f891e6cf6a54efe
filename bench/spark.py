"""The same dbt build on DuckDB and on a local Spark (dbt-spark `session`, local[2]): wall and CPU time.

    .venv/bin/python bench/spark.py                      # 1,000,000 tickets (make setup-spark first)
    .venv/bin/python bench/spark.py --tickets 100000

1. Generates the canonical Parquet exports of bench/e2e.py (its generator, imported) and ingests them once into a
   DuckDB warehouse (`itsm ingest`, not timed).
2. DuckDB: `dbt build` on a copy of that warehouse, in a subprocess.
3. Spark: `python -m pipelines.spark_engine` on another copy, in a subprocess: the raw tables written to Parquet,
   a Spark session started, `dbt build --target spark`, the marts copied back into DuckDB.
Prints, per engine, the wall time and the CPU time of the whole process tree (JVM included; /proc polled).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != BENCH]
VENV_BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")


def e2e_module():
    spec = importlib.util.spec_from_file_location("bench_e2e", BENCH / "e2e.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tree_cpu(root_pid: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds (user + system) of `root_pid` and its descendants into `seen` (pid -> latest)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    stack = [root_pid]
    while stack:
        pid = stack.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seen[pid] = (int(fields[11]) + int(fields[12])) / TICKS
        except OSError:
            pass
        stack.extend(children.get(pid, []))


def timed(label: str, cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run `cmd`; print and return (wall seconds, CPU seconds of its process tree)."""
    seen: dict[int, float] = {}
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def poll() -> None:
            while not done.wait(0.25):
                tree_cpu(proc.pid, seen)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        code = proc.wait()
        done.set()
        poller.join()
    wall = time.perf_counter() - started
    if code != 0:
        sys.exit(f"{label} failed ({code}); see {log}")
    cpu = sum(seen.values())
    print(f"{label:<8} wall {wall:7.1f} s   CPU {cpu:7.1f} s", flush=True)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/itsm_bench_spark"))
    parser.add_argument("--spark-memory", default="8g", help="Spark driver memory (local mode runs everything there)")
    args = parser.parse_args()
    work = args.work / str(args.tickets)
    full_dir, _ = e2e_module().generate(work, args.tickets)
    raw = work / "ingested.duckdb"
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "ITSM_SPARK_DRIVER_MEMORY": args.spark_memory,
    }
    if not raw.exists():
        subprocess.run(
            [VENV_BIN / "itsm", "ingest", str(full_dir)], env={**env, "ITSM_WAREHOUSE": str(raw)}, check=True
        )
    results = {}
    for engine in ("duckdb", "spark"):
        run_dir = work / engine
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        warehouse = run_dir / "itsm.duckdb"
        shutil.copy(raw, warehouse)
        engine_env = {**env, "ITSM_WAREHOUSE": str(warehouse), "DBT_TARGET_PATH": str(run_dir / "target")}
        if engine == "duckdb":
            cmd = [str(VENV_BIN / "dbt"), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project"]
        else:
            cmd = [sys.executable, "-m", "pipelines.spark_engine"]
        os.chdir(ROOT)
        results[engine] = timed(engine, cmd, engine_env, run_dir / "build.log")
    (d_wall, d_cpu), (s_wall, s_cpu) = results["duckdb"], results["spark"]
    print(f"{args.tickets:,} tickets: Spark / DuckDB = {s_wall / d_wall:.1f}x wall, {s_cpu / d_cpu:.1f}x CPU")


if __name__ == "__main__":
    main()
