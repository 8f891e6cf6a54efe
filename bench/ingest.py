"""Ingest benchmark: our loader vs DuckDB's bare read_csv on the same canonical CSV files.

    .venv/bin/python bench/ingest.py             # 1,000,000 tickets + 5,000,000 events
    .venv/bin/python bench/ingest.py --rows 100000

Generates tickets.csv and ticket_events.csv (5 events per ticket) with DuckDB SQL, then runs, each in its own
process so peak memory is measured separately:
- bare: `CREATE TABLE ... AS SELECT * FROM read_csv(file, ignore_errors=true)` per file into a fresh DuckDB
  file (ignore_errors: the bare reader would otherwise stop at the seeded truncated line);
- ours: `ingest_files` (hash, detect, parse, type + check every contract column, quarantine, lineage, write)
  into a fresh DuckDB file.
Both end with CHECKPOINT so both have written their data to disk. A handful of defective rows are seeded (a bad
date, an unknown priority, a truncated line) so the quarantine path is exercised, not skipped.
Prints rows/s of each, their ratio (target >= 0.5), the same ratio in CPU seconds (steadier when other work
shares the cores) and the peak resident memory (target < 4 GiB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVENTS_PER_TICKET = 5


def generate(folder: Path, tickets: int) -> tuple[Path, Path]:
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    tickets_csv, events_csv = folder / "tickets.csv", folder / "ticket_events.csv"
    stamp = folder / f".generated_{tickets}"
    if stamp.exists() and tickets_csv.exists() and events_csv.exists():
        return tickets_csv, events_csv
    conn = duckdb.connect()
    ts = "strftime(TIMESTAMP '2025-01-01' + to_seconds({}), '%Y-%m-%d %H:%M:%S')"
    conn.execute(
        f"""COPY (
            SELECT 'INC' || lpad(CAST(i AS VARCHAR), 9, '0') AS ticket_id,
                   (['incident', 'request', 'problem'])[1 + i % 3] AS ticket_type,
                   CASE WHEN i = 7 THEN '2025-02-30 25:00:00' ELSE {ts.format("i * 30")} END AS opened_at,
                   {ts.format("i * 30 + 600")} AS first_response_at,
                   {ts.format("i * 30 + 7200")} AS resolved_at,
                   {ts.format("i * 30 + 9000")} AS closed_at,
                   (['new', 'in_progress', 'on_hold', 'resolved', 'closed'])[1 + i % 5] AS state,
                   CASE WHEN i = 11 THEN 9 ELSE 1 + i % 4 END AS priority,
                   1 + i % 3 AS impact, 1 + (i // 3) % 3 AS urgency,
                   'service-' || (i % 8) AS service, 'ci-' || (i % 500) AS ci, 'cat-' || (i % 10) AS category,
                   'sub-' || (i % 30) AS subcategory, 'group-' || (i % 20) AS assignment_group,
                   'agent-' || (i % 300) AS assignee, (['email', 'phone', 'portal'])[1 + i % 3] AS channel,
                   'caller-' || (i % 5000) AS caller, CAST(i % 7 = 0 AS INTEGER) AS reopen_count,
                   i % 5 AS reassignment_count, NULL AS caused_by_change, NULL AS problem_id,
                   'solved' AS close_code, i % 9 <> 0 AS source_made_sla
            FROM range({tickets}) AS r(i)
        ) TO '{tickets_csv}' (HEADER)"""
    )
    conn.execute(
        f"""COPY (
            SELECT 'INC' || lpad(CAST(i // {EVENTS_PER_TICKET} AS VARCHAR), 9, '0') AS ticket_id,
                   {ts.format(f"(i // {EVENTS_PER_TICKET}) * 30 + (i % {EVENTS_PER_TICKET}) * 600")} AS event_at,
                   (['state', 'assignment_group', 'priority', 'state', 'state'])[1 + i % 5] AS field,
                   'v' || (i % 7) AS from_value, 'v' || ((i + 1) % 7) AS to_value, 'agent-' || (i % 300) AS actor
            FROM range({tickets * EVENTS_PER_TICKET}) AS r(i)
        ) TO '{events_csv}' (HEADER)"""
    )
    conn.close()
    with tickets_csv.open("a") as handle:  # a truncated last line: a structural reject
        handle.write("INC999999999,incident,2025-01-0\n")
    stamp.touch()
    return tickets_csv, events_csv


def run_bare(folder: Path, files: list[Path]) -> dict:
    import duckdb

    db = folder / "bare.duckdb"
    db.unlink(missing_ok=True)
    conn = duckdb.connect(str(db))
    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    for index, path in enumerate(files):
        conn.execute(f"CREATE TABLE t{index} AS SELECT * FROM read_csv('{path}', ignore_errors=true)")
        rows += conn.execute(f"SELECT count(*) FROM t{index}").fetchone()[0]
    conn.execute("CHECKPOINT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return {
        "rows": rows,
        "seconds": seconds,
        "cpu": cpu,
        "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def run_ours(folder: Path, files: list[Path]) -> dict:
    import duckdb

    from pipelines.ingest.loader import ingest_files
    from pipelines.settings import Settings

    db = folder / "ours.duckdb"
    db.unlink(missing_ok=True)
    conn = duckdb.connect(str(db))
    started, cpu = time.perf_counter(), time.process_time()
    results = ingest_files(conn, files, Settings(warehouse_path=db))
    conn.execute("CHECKPOINT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    bad = [r.error for r in results if not r.ok]
    if bad:
        raise SystemExit(f"ingest rejected a file: {bad}")
    return {
        "rows": sum(r.rows_read for r in results),
        "loaded": sum(r.rows_loaded for r in results),
        "quarantined": sum(r.rows_quarantined for r in results),
        "seconds": seconds,
        "cpu": cpu,
        "per_file": {r.path.name: round(r.seconds, 2) for r in results},
        "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="tickets to generate (events = 5x)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/itsm_bench"), help="work folder for files/databases")
    parser.add_argument("--phase", choices=["bare", "ours"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = args.dir / str(args.rows)
    files = list(generate(folder, args.rows))
    if args.phase:
        print(json.dumps((run_bare if args.phase == "bare" else run_ours)(folder, files)))
        return 0

    figures = {}
    load_before = os.getloadavg()
    for phase in ("bare", "ours"):
        proc = subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--dir", str(args.dir), "--phase", phase],
            capture_output=True,
            text=True,
            check=True,
        )
        figures[phase] = json.loads(proc.stdout.strip().splitlines()[-1])
    bare, ours = figures["bare"], figures["ours"]
    bare_rate, our_rate = bare["rows"] / bare["seconds"], ours["rows"] / ours["seconds"]
    ratio = our_rate / bare_rate
    peak_gib = ours["peak_kib"] / 1024 / 1024
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB" for p in files)
    print(f"files: {sizes}")
    # Other work on the machine moves wall times; the 1-minute load average before and after says how much.
    print(f"load average (1 min): {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"bare read_csv: {bare['rows']:>10,} rows in {bare['seconds']:6.2f} s = {bare_rate:>12,.0f} rows/s")
    print(f"our ingest:    {ours['rows']:>10,} rows in {ours['seconds']:6.2f} s = {our_rate:>12,.0f} rows/s")
    print(f"  loaded {ours['loaded']:,}, quarantined {ours['quarantined']:,}; per file (s): {ours['per_file']}")
    print(f"ratio ours / bare: {ratio:.2f} (target >= 0.5)  {'OK' if ratio >= 0.5 else 'BELOW TARGET'}")
    # CPU seconds (all threads) are steadier than wall time when other work shares the cores.
    cpu_ratio = bare["cpu"] / ours["cpu"]
    print(f"cpu seconds: bare {bare['cpu']:.2f}, ours {ours['cpu']:.2f}; rows per cpu-second ratio {cpu_ratio:.2f}")
    print(
        f"peak memory: ours {peak_gib:.2f} GiB, bare {bare['peak_kib'] / 1024 / 1024:.2f} GiB "
        f"(target < 4 GiB)  {'OK' if peak_gib < 4 else 'ABOVE TARGET'}"
    )
    return 0 if ratio >= 0.5 and peak_gib < 4 else 1


if __name__ == "__main__":
    sys.exit(main())
