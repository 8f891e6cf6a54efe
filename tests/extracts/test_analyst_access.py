"""Analyst access: `itsm sql` reads a published snapshot, read-only and locked down; a pipeline writing the live
warehouse at the same time is neither blocked by analysts nor able to corrupt what they read.

What DuckDB does (measured here, DuckDB 2.0): while one process has the file open for writing, another process
cannot open it at all, not even read-only ("Could not set lock on file ... Conflicting lock is held"). Hence the
snapshot published after each run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.extracts.analyst import analyst_connection, publish_snapshot
from pipelines.extracts.connection import snapshot_path
from pipelines.extracts.writer import sha256_file
from pipelines.warehouse import WRITER_WAIT_ENV, WarehouseBusy

WRITER = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
conn.execute("create table if not exists raw.writer_probe (i integer)")
open(sys.argv[2], "w").write("locked")
for i in range(int(sys.argv[3])):
    conn.execute("insert into raw.writer_probe values (?)", [i])
    time.sleep(0.01)
conn.close()
"""


def count(path: Path, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(f"select count(*) from {table}").fetchall()[0][0]


@pytest.fixture
def published(hand_warehouse: Path) -> Path:
    return publish_snapshot(hand_warehouse)


def test_snapshot_is_published_beside_the_warehouse_and_holds_the_same_data(hand_warehouse: Path, published: Path):
    assert published == snapshot_path(hand_warehouse) == hand_warehouse.with_name("itsm.snapshot.duckdb")
    assert count(published, "raw.tickets") == count(hand_warehouse, "raw.tickets") == 3
    assert not [p for p in published.parent.iterdir() if ".partial-" in p.name]


def test_sql_command_runs_a_query_on_the_snapshot(cli, hand_warehouse: Path, published: Path):
    proc = cli(["sql", "-c", "select count(*) as tickets from raw.tickets"], hand_warehouse)
    assert proc.returncode == 0, proc.stderr
    assert "tickets" in proc.stdout and "3" in proc.stdout


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("create table marts.x as select 1", "read-only mode"),
        ("insert into raw.tickets (ticket_id) values ('X')", "read-only mode"),
        ("drop table raw.tickets", "read-only mode"),
        ("attach '{live}' as live", "file system operations are disabled"),
        ("copy raw.tickets to '{out}'", "file system operations are disabled"),
        ("set enable_external_access = true", "configuration has been locked"),
    ],
)
def test_sql_refuses_writes(cli, hand_warehouse: Path, published: Path, tmp_path: Path, statement: str, message: str):
    before = (sha256_file(hand_warehouse), sha256_file(published))
    query = statement.format(live=hand_warehouse, out=tmp_path / "dump.csv")
    proc = cli(["sql", "-c", query], hand_warehouse)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert (sha256_file(hand_warehouse), sha256_file(published)) == before
    assert not (tmp_path / "dump.csv").exists()


def test_sql_without_a_snapshot_says_what_to_do(cli, hand_warehouse: Path):
    proc = cli(["sql", "-c", "select 1"], hand_warehouse)
    assert proc.returncode == 1
    assert "no analyst snapshot" in proc.stderr and "itsm run" in proc.stderr


def test_pipeline_writing_while_analysts_read(cli, hand_warehouse: Path, published: Path, tmp_path: Path):
    flag = tmp_path / "locked"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(hand_warehouse), str(flag), "600"])
    try:
        deadline = time.monotonic() + 30
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), "writer did not start"
        # 1. DuckDB refuses any second process on the live file, read-only included: nothing can be half-read.
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(hand_warehouse), read_only=True)
        # 2. An extract meanwhile reads the published analyst snapshot (never the half-written live file) and
        #    says so; the writer is not disturbed.
        out = tmp_path / "x"
        proc = cli(["extract", "changes", "--from", "2026-10-01", "--to", "2026-10-31", "--out", str(out)],
                   hand_warehouse)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "reading the analyst snapshot" in proc.stderr and str(published) in proc.stderr
        # 3. Analysts keep querying the snapshot meanwhile.
        proc = cli(["sql", "-c", "select count(*) as tickets from raw.tickets"], hand_warehouse)
        assert proc.returncode == 0 and "3" in proc.stdout
        # 4. Publishing a new snapshot must wait for the writer: past its wait it fails cleanly, the old one stays.
        before = sha256_file(published)
        os.environ[WRITER_WAIT_ENV] = "1"
        try:
            with pytest.raises(WarehouseBusy, match="held by another process"):
                publish_snapshot(hand_warehouse)
        finally:
            del os.environ[WRITER_WAIT_ENV]
        assert sha256_file(published) == before
        # 5. A period close needs to write: it waits for the writer like any writer, and past its wait it is
        # refused with the reason, writing nothing.
        from pipelines.extracts.period_close import close_period
        from pipelines.extracts.request import ExtractError

        os.environ[WRITER_WAIT_ENV] = "1"
        try:
            with pytest.raises(ExtractError, match="retry when the run has finished"):
                close_period("2026-10", hand_warehouse, hand_warehouse.parent / "build", publish=False)
        finally:
            os.environ.pop(WRITER_WAIT_ENV, None)
        assert not (hand_warehouse.parent / "build" / "period-close").exists()
        assert writer.poll() is None, "the writer finished too early for this test to prove anything"
    finally:
        assert writer.wait(timeout=60) == 0
    # The writer's work is complete and intact; the next snapshot has it.
    assert count(hand_warehouse, "raw.writer_probe") == 600
    publish_snapshot(hand_warehouse)
    assert count(published, "raw.writer_probe") == 600


def test_open_analyst_session_survives_a_new_snapshot(hand_warehouse: Path, published: Path):
    with analyst_connection(published) as session:
        assert session.execute("select count(*) from raw.tickets").fetchall() == [(3,)]
        with duckdb.connect(str(hand_warehouse)) as conn:
            conn.execute("delete from raw.tickets where ticket_id = 'T3'")
        publish_snapshot(hand_warehouse)  # replaces the file the session has open
        # The session keeps its consistent copy; a new session sees the new data.
        assert session.execute("select count(*) from raw.tickets").fetchall() == [(3,)]
    with analyst_connection(published) as fresh:
        assert fresh.execute("select count(*) from raw.tickets").fetchall() == [(2,)]
