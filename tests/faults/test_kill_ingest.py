"""kill -9 of `itsm ingest` in the middle of a file: nothing of the file remains, and loading it again gives the
exact counts (one transaction per file; pipelines/ingest/loader.py)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import duckdb
from faults import itsm, pipeline_env, start_itsm, wait_for

ROWS = 400_000


def big_export(folder: Path, rows: int) -> Path:
    """A canonical tickets CSV of `rows` valid tickets (ids T000001...), written by DuckDB."""
    path = folder / "tickets_big.csv"
    with duckdb.connect() as conn:
        conn.execute(
            f"""copy (
                  select printf('T%06d', i) as ticket_id, 'incident' as ticket_type,
                         timestamptz '2026-01-05 09:00:00+00' + to_minutes(i::bigint) as opened_at,
                         'new' as state, 1 + i % 4 as priority, 'email' as service
                  from range(1, {rows + 1}) t(i)
                ) to '{path}' (header)"""
        )
    return path


def written_bytes(warehouse: Path) -> int:
    wal = warehouse.with_name(f"{warehouse.name}.wal")
    return sum(p.stat().st_size for p in (warehouse, wal) if p.exists())


def test_kill_9_during_a_load_leaves_nothing_and_a_reload_is_exact(tmp_path: Path):
    env = pipeline_env(tmp_path)
    warehouse = Path(env["ITSM_WAREHOUSE"])
    small = tmp_path / "first.csv"
    small.write_text("ticket_id,ticket_type,opened_at,state,priority\nA1,incident,2026-01-05T08:00:00Z,new,3\n")
    assert itsm(["ingest", str(small)], env, timeout=120).returncode == 0
    before = written_bytes(warehouse)
    export = big_export(tmp_path, ROWS)

    proc = start_itsm(["ingest", str(export)], env, tmp_path / "ingest.log")
    try:
        # killed once it has started writing the file's rows (the warehouse or its WAL grows), well before the end
        wait_for(lambda: written_bytes(warehouse) > before + 1_000_000 or proc.poll() is not None, 120, "writes")
        assert proc.poll() is None, "the load finished before it could be killed: make the file larger"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.tickets").fetchall() == [(1,)]  # only A1
        assert conn.execute("select count(*) from raw.load_log").fetchall() == [(1,)]  # only first.csv's load
        assert conn.execute("select count(*) from raw.quarantine").fetchall() == [(0,)]

    again = itsm(["ingest", str(export)], env, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("select count(*), count(distinct ticket_id) from raw.tickets").fetchall() == [
            (ROWS + 1, ROWS + 1)
        ]
        loads = conn.execute(
            "select status, rows_read, rows_loaded, rows_quarantined from raw.load_log order by load_id"
        ).fetchall()
    assert loads == [("loaded", 1, 1, 0), ("loaded", ROWS, ROWS, 0)]
