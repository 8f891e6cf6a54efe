"""End-to-end benchmark: the real Dagster job `itsm_refresh` (in-process executor) on N generated tickets.

    .venv/bin/python bench/e2e.py                      # 1,000,000 tickets, ~5,000,000 events
    .venv/bin/python bench/e2e.py --tickets 100000

1. Generates canonical Parquet exports into a tmp inbox, reusing the other benchmarks' generators (imported):
   tickets + 5 events each from bench/sla.py, outages + changes from bench/availability.py (one outage per 10
   tickets), surveys for one ticket in 5. A 1% delta is prepared beside them: 0.5% new tickets with their
   events, and 0.5% updated tickets (tickets left open by the full export, now resolved: a new ticket row and a
   resolution event), as a later export would bring them.
2. Runs the job three times, each in a fresh subprocess (definitions load, dbt start-up and GX imports are
   counted every time, as for a user running `itsm run`), against one warehouse / Dagster home under --work:
   (a0) empty inbox, new warehouse; (a) empty inbox again: the fixed cost; (b) the full export: full refresh
   at N; (c) the 1% delta: incremental run.
3. Prints per run the wall time of the subprocess, of each Dagster step (from the run's event log: ingest, dbt
   build, data-quality checks, dashboards) and the peak resident memory of the process tree (the Dagster process
   plus dbt; /proc polled every 0.1 s), dbt's slowest nodes (run_results.json), and the cost of (b) and (c)
   above (a).
Targets (issue 8): (a) < 20 s; (b) - (a) < 20 s at 1M; (c) - (a) < 10% of (b) - (a).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# Python puts this script's folder first on the path, where bench/dashboards.py would shadow the dashboards
# package; the sibling benchmarks are loaded by file path instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != BENCH]

TABLES = ("tickets", "ticket_events", "changes", "outages", "surveys")
LINEAGE = "_source_file, _file_sha256, _row_number, _loaded_at, _load_id, _extra"
GIB = 1024**3


def sibling(name: str) -> ModuleType:
    """Another benchmark script as a module (its data generator is reused, not copied)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate(work: Path, tickets: int) -> tuple[Path, Path]:
    """Full export and 1% delta as canonical Parquet files; returns (full_dir, delta_dir)."""
    import duckdb

    availability, sla = sibling("availability"), sibling("sla")

    full_dir, delta_dir = work / "exports" / "full", work / "exports" / "delta"
    stamp = work / "exports" / f".generated_{tickets}"
    if stamp.exists():
        return full_dir, delta_dir
    shutil.rmtree(work / "exports", ignore_errors=True)
    full_dir.mkdir(parents=True)
    delta_dir.mkdir(parents=True)
    scratch = work / "scratch.duckdb"
    new = max(tickets // 200, 1)
    # availability.generate makes a fresh file with the raw schema, outages and their changes
    availability.generate(scratch, max(tickets // 10, 100))
    with duckdb.connect(str(scratch)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET preserve_insertion_order = false")
        conn.execute(sla.TICKETS_SQL.format(n=tickets + new, lineage=sla.LINEAGE))
        conn.execute(sla.EVENTS_SQL)
        conn.execute(
            """INSERT INTO raw.surveys
               SELECT 'SRV' || substr(ticket_id, 2), ticket_id, resolved_at + INTERVAL 1 HOUR,
                      CASE WHEN hash(ticket_id, 'resp') % 3 = 0 THEN resolved_at + INTERVAL 5 HOUR END,
                      CASE WHEN hash(ticket_id, 'resp') % 3 = 0 THEN 1 + CAST(hash(ticket_id, 'csat') % 5 AS INT) END,
                      CASE WHEN hash(ticket_id, 'resp') % 3 = 0 THEN CAST(hash(ticket_id, 'nps') % 11 AS INT) END,
                      NULL, 'bench', repeat('0', 64), 1, now(), 1, NULL
               FROM raw.tickets WHERE resolved_at IS NOT NULL AND hash(ticket_id, 'srv') % 5 = 0"""
        )
        # ticket number i is in the ticket id ('B' + 8 digits): the first N go to the full export
        is_new = f"CAST(substr(ticket_id, 2) AS BIGINT) >= {tickets}"

        def export(table: str, where: str, target: Path) -> None:
            conn.execute(f"COPY (SELECT * EXCLUDE ({LINEAGE}) FROM raw.{table} WHERE {where}) TO '{target}'")

        for table in ("tickets", "ticket_events", "surveys"):
            export(table, f"NOT ({is_new})", full_dir / f"{table}.parquet")
            export(table, is_new, delta_dir / f"{table}_new.parquet")
        for table in ("changes", "outages"):
            export(table, "true", full_dir / f"{table}.parquet")
        # updated tickets: 1 in 10 of the tickets the full export left open (5%) get resolved a day after
        # their last event: a new ticket row (the latest load wins per key) and the resolution event
        conn.execute(
            f"""CREATE TEMP TABLE updated AS
                SELECT t.* EXCLUDE ({LINEAGE}), e.last_event_at + INTERVAL 1 DAY AS done_at
                FROM raw.tickets AS t
                JOIN (SELECT ticket_id, max(event_at) AS last_event_at FROM raw.ticket_events GROUP BY ALL) AS e
                    USING (ticket_id)
                WHERE NOT ({is_new}) AND t.resolved_at IS NULL AND hash(t.ticket_id, 'upd') % 10 = 0"""
        )
        conn.execute(
            f"""COPY (SELECT * EXCLUDE (done_at) REPLACE (done_at AS resolved_at,
                             done_at + INTERVAL 1 DAY AS closed_at, 'closed' AS state)
                      FROM updated) TO '{delta_dir / "tickets_updated.parquet"}'"""
        )
        conn.execute(
            f"""COPY (SELECT ticket_id, done_at AS event_at, 'state' AS field, 'awaiting_customer' AS from_value,
                             'resolved' AS to_value, assignee AS actor FROM updated)
                TO '{delta_dir / "ticket_events_updated.parquet"}'"""
        )
        counts = {
            t: conn.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0]
            for t in ("tickets", "ticket_events", "changes", "outages", "surveys")
        }
        updated = conn.execute("SELECT count(*) FROM updated").fetchone()[0]
    scratch.unlink()
    print(f"generated rows (full + new): {counts}; delta: {new:,} new + {updated:,} updated tickets", flush=True)
    stamp.touch()
    return full_dir, delta_dir


# --- one run of the job, in its own process -------------------------------------------------------------------


def child_run() -> None:
    """Runs inside the subprocess: materialize itsm_refresh, print step timings from the event log as JSON."""
    started = time.perf_counter()
    from dagster import DagsterEventType, DagsterInstance

    from pipelines.definitions import defs

    job = defs.resolve_job_def("itsm_refresh")
    loaded = time.perf_counter() - started
    marks = {"definitions_loaded": time.time()}
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
        marks["job_returned"] = time.time()
        steps: dict[str, dict[str, float]] = {}
        for record in instance.all_logs(result.run_id):
            event = record.dagster_event
            if event is None:
                continue
            if event.event_type in (DagsterEventType.RUN_START, DagsterEventType.RUN_SUCCESS):
                marks[event.event_type.value] = record.timestamp
            if event.step_key is None:
                continue
            step = steps.setdefault(event.step_key, {})
            if event.event_type == DagsterEventType.STEP_START:
                step["start"] = record.timestamp
            elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                step["end"] = record.timestamp
                step["ok"] = event.event_type == DagsterEventType.STEP_SUCCESS
    print(
        "E2E_RESULT "
        + json.dumps({"success": result.success, "definitions_load_s": loaded, "marks": marks, "steps": steps}),
        flush=True,
    )


def tree_rss(root_pid: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def slowest_dbt_nodes(env: dict[str, str], since: float, count: int = 8) -> list[tuple[float, str]]:
    """dbt's own execution time per node of the invocation this run made (the newest run_results.json)."""
    found = [p for p in Path(env["DBT_TARGET_PATH"]).rglob("run_results.json") if p.stat().st_mtime >= since]
    if not found:
        return []
    results = json.loads(max(found, key=lambda p: p.stat().st_mtime).read_text())["results"]
    timings = sorted(((r["execution_time"], r["unique_id"]) for r in results), reverse=True)
    return [(seconds, unique_id.split(".", 2)[-1]) for seconds, unique_id in timings[:count]]


def run_job(label: str, env: dict[str, str], log: Path, limit_bytes: int) -> dict:
    started, cpu_started, started_at = time.perf_counter(), children_cpu(), time.time()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child"], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
        peak = 0
        aborted = False

        def watch() -> None:
            nonlocal peak, aborted
            while proc.poll() is None:
                peak = max(peak, tree_rss(proc.pid))
                if peak > limit_bytes and not aborted:
                    aborted = True
                    # stop only the process tree this benchmark started
                    subprocess.run(["pkill", "-TERM", "-P", str(proc.pid)], check=False)
                    proc.terminate()
                time.sleep(0.1)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        proc.wait()
        watcher.join()
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu_started
    text = log.read_text()
    lines = [line for line in text.splitlines() if line.startswith("E2E_RESULT ")]
    if aborted:
        sys.exit(f"{label}: aborted, process tree above {limit_bytes / GIB:.0f} GiB (log: {log})")
    if proc.returncode != 0 or not lines:
        sys.exit(f"{label}: the run process failed (exit {proc.returncode}); log: {log}\n{text[-3000:]}")
    result = json.loads(lines[-1].removeprefix("E2E_RESULT "))
    result.update(label=label, wall_s=wall, cpu_s=cpu, peak_rss=peak, slowest=slowest_dbt_nodes(env, started_at))
    if not result["success"]:
        failed = [k for k, s in result["steps"].items() if not s.get("ok")]
        print(f"WARNING {label}: the Dagster run failed, steps not successful: {failed} (log: {log})")
    return result


def stage_of(step_key: str) -> str:
    if step_key.startswith("ingest"):
        return "ingest"
    if "dbt" in step_key:
        return "dbt build"
    if "report" in step_key:
        return "dashboards"
    return "checks"


def show(result: dict) -> dict[str, float]:
    stages: dict[str, float] = {}
    for key, step in result["steps"].items():
        if "start" in step and "end" in step:
            stages[stage_of(key)] = stages.get(stage_of(key), 0.0) + step["end"] - step["start"]
    steps = sorted(result["steps"].items(), key=lambda kv: kv[1].get("start", 0))
    first = min((s["start"] for _, s in steps if "start" in s), default=0)
    last = max((s["end"] for _, s in steps if "end" in s), default=0)
    print(
        f"\n{result['label']}: {result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU (process tree), "
        f"peak RSS {result['peak_rss'] / GIB:.2f} GiB, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"  definitions load (in the run process):     {result['definitions_load_s']:6.1f} s")
    marks = result["marks"]
    to_run_start = marks.get("RUN_START", first) - marks["definitions_loaded"]
    print(f"  definitions loaded -> Dagster RUN_START:    {to_run_start:6.1f} s")
    print(f"  steps, first start -> last end:            {last - first:6.1f} s")
    for stage in ("ingest", "dbt build", "checks", "dashboards"):
        print(f"  {stage:<42} {stages.get(stage, 0.0):6.1f} s")
    for key, step in steps:
        if "start" in step and "end" in step:
            print(f"    {step['end'] - step['start']:6.1f} s  {key}{'' if step.get('ok') else '  FAILED'}")
    if result["slowest"]:
        print("  slowest dbt nodes (dbt's execution time; 2 threads):")
        for seconds, name in result["slowest"]:
            print(f"    {seconds:6.1f} s  {name}")
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/itsm_bench_e2e"))
    parser.add_argument("--max-memory-gib", type=float, default=20.0, help="abort a run above this tree RSS")
    parser.add_argument("--duckdb-memory", help="DuckDB memory_limit for dbt, e.g. 10GB (ITSM_DUCKDB_MEMORY_LIMIT)")
    parser.add_argument("--no-incremental", action="store_true", help="stop after the full refresh (b)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_run()
        return

    work = args.work / str(args.tickets)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    started = time.perf_counter()
    full_dir, delta_dir = generate(work, args.tickets)
    print(f"exports ready in {time.perf_counter() - started:.1f} s under {work / 'exports'}", flush=True)

    run_dir = work / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    inbox, home = run_dir / "inbox", run_dir / "dagster_home"
    inbox.mkdir(parents=True)
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "ITSM_WAREHOUSE": str(run_dir / "itsm.duckdb"),
        "ITSM_INBOX": str(inbox),
        "ITSM_OUTPUT_DIR": str(run_dir / "output"),
        "DAGSTER_HOME": str(home),
        "DBT_LOG_PATH": str(run_dir / "dbt_logs"),
        # dagster-dbt puts each invocation's target folder under this one: this run's dbt results stay apart
        "DBT_TARGET_PATH": str(run_dir / "dbt_target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if args.duckdb_memory:
        env["ITSM_DUCKDB_MEMORY_LIMIT"] = args.duckdb_memory
    limit = int(args.max_memory_gib * GIB)

    # The first run on a new warehouse also creates the schemas, loads the seeds and parses the dbt project for
    # this warehouse; the second is what every later run with nothing new costs: the fixed cost.
    show(run_job("(a0) first run, empty warehouse and inbox", env, run_dir / "run_a0.log", limit))
    empty = run_job("(a) empty-data run (nothing new)", env, run_dir / "run_a.log", limit)
    show(empty)
    for path in full_dir.iterdir():
        shutil.copy(path, inbox / path.name)
    full = run_job(f"(b) full refresh, {args.tickets:,} tickets", env, run_dir / "run_b.log", limit)
    full_stages = show(full)
    if args.no_incremental:
        print(f"\nfull refresh above the empty run: {full['wall_s'] - empty['wall_s']:.1f} s")
        print(f"peak RSS of the full refresh's process tree: {full['peak_rss'] / GIB:.2f} GiB")
        return
    for path in delta_dir.iterdir():
        shutil.copy(path, inbox / path.name)
    delta = run_job("(c) incremental run, +1% new and updated tickets", env, run_dir / "run_c.log", limit)
    delta_stages = show(delta)

    fixed = empty["wall_s"]
    full_cost, delta_cost = full["wall_s"] - fixed, delta["wall_s"] - fixed
    print("\nsummary (wall time of the run process, start-up included)")
    print(f"  empty-data run (fixed cost):   {fixed:6.1f} s  {'PASS' if fixed < 20 else 'MISS'} target < 20 s")
    verdict = "PASS" if full_cost < 20 else "MISS"
    print(f"  full refresh above empty:      {full_cost:6.1f} s  {verdict} target < 20 s at 1M")
    share = delta_cost / full_cost if full_cost > 0 else float("nan")
    verdict = "PASS" if share < 0.10 else "MISS"
    print(f"  incremental above empty:       {delta_cost:6.1f} s  = {share:.0%} of the full cost, {verdict} < 10%")
    full_dbt, delta_dbt = full_stages.get("dbt build", 0.0), delta_stages.get("dbt build", 0.0)
    print(f"  dbt build step: full {full_dbt:.1f} s, incremental {delta_dbt:.1f} s")
    peak = max(r["peak_rss"] for r in (empty, full, delta))
    print(f"  peak RSS of any run's process tree: {peak / GIB:.2f} GiB")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
