"""Analyst access: a read-only snapshot of the warehouse, published after each successful run, and a locked-down
read-only connection for `itsm sql`.

Why a snapshot: DuckDB lets one process write a file and no other process open it meanwhile, not even read-only
(the reader gets "Could not set lock on file"); and an analyst holding the live file open read-only would in turn
block the next pipeline run. So analysts read `<warehouse>.snapshot.duckdb`, a copy published atomically (written
aside, then renamed over the old one): a session that has the old copy open keeps reading it unharmed, the next
session sees the new one, and the live warehouse is never opened by analysts.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.extracts.connection import set_session, snapshot_path
from pipelines.extracts.request import ExtractError
from pipelines.warehouse import warehouse_connection


def publish_snapshot(warehouse: Path, target: Path | None = None, gate: bool = True) -> Path:
    """Copy the warehouse to its snapshot path atomically; return the snapshot path.

    With `gate`, only numbers of a complete, passed check run are published (data_quality/run_steps.py); the
    ExtractError says why not. Holding the writer lock and a write connection (after CHECKPOINT folds the WAL into
    the file) guarantees no other process writes while the bytes are copied.
    """
    from data_quality.run_steps import publish_problem

    target = target or snapshot_path(warehouse)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    with warehouse_connection(warehouse) as conn:
        problem = publish_problem(conn) if gate else None
        if problem:
            raise ExtractError(f"analyst snapshot not published: {problem}; the previous snapshot stays")
        conn.execute("CHECKPOINT")
        shutil.copyfile(warehouse, partial)
    try:
        # The copy must open on its own before it replaces anything analysts use.
        check = duckdb.connect(str(partial), read_only=True)
        check.execute("select count(*) from information_schema.tables").fetchall()
        check.close()
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


@contextmanager
def analyst_connection(database: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Read-only, and with file access switched off and locked: no ATTACH of the live warehouse in write mode,
    no COPY TO, no reading arbitrary files. Only the opened database can be queried."""
    if not database.exists():
        raise ExtractError(
            f"no analyst snapshot at {database}: it is published after each successful `itsm run`; "
            "run the pipeline first (or pass --database to open another DuckDB file read-only)"
        )
    try:
        conn = duckdb.connect(
            str(database),
            read_only=True,
            config={"enable_external_access": False},
        )
    except duckdb.IOException as err:
        raise ExtractError(f"cannot open {database} read-only: {err}") from err
    try:
        set_session(conn, threads=None)
        # Locked after the session settings: from here on no SET can re-enable file access.
        conn.execute("SET lock_configuration = true")
        yield conn
    finally:
        conn.close()
