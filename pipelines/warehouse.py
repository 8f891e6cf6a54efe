"""Opening the DuckDB warehouse: the one place, no Dagster import (the CLI uses it and must start fast).

DuckDB lets one process open a file for writing and no other process open it meanwhile, not even read-only; a
read-only open in turn takes a shared lock that stops a writer. So that a reader can never make a run fail, every
opening goes through a readers-writer lock of our own, `<warehouse>.lock` (flock: released by the kernel when its
process dies, however it dies):

- a writer (ingest, the checks, `itsm run` for its whole duration, so dbt's own connections are covered too) takes
  it exclusively, waiting up to ITSM_WAREHOUSE_WAIT_SECONDS (default 60) and saying what it waits for;
- a reader takes it shared while it reads the live file. When a writer holds it, the reader reads the published
  analyst snapshot (`<warehouse>.snapshot.duckdb`) instead, or, when there is none, waits up to
  ITSM_READER_WAIT_SECONDS (default 30) and then stops with a one-line message.

A process holding the writer lock (a run) opens the file for reading and writing without taking it again.

Opening also checks the file: DuckDB reports a damaged header, a bad checksum or truncated blocks when it opens the
file (it reads its headers and metadata), and that stops the command with WarehouseDamaged. Damage DuckDB only
meets later, reading a block, is recognised by `is_damage` (the CLI reports it the same way).
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.errors import WarehouseBusy, WarehouseDamaged

WRITER_WAIT_ENV = "ITSM_WAREHOUSE_WAIT_SECONDS"
READER_WAIT_ENV = "ITSM_READER_WAIT_SECONDS"
DEFAULT_WRITER_WAIT = 60.0
DEFAULT_READER_WAIT = 30.0
RETRY_SECONDS = 0.5
DAMAGED = "warehouse damaged: restore from the snapshot or rebuild with `itsm run --full-refresh`"

# Set by `itsm run` for the process that executes the run: the warehouse whose writer lock its parent holds for it
# (the lock's file is passed down too, so the lock lasts as long as either process lives).
HELD_BY_PARENT_ENV = "ITSM_WRITER_LOCK_HELD_BY_PARENT"
# Warehouses whose writer lock this process holds (re-entrant: a run holds it while its steps open the file).
_WRITER_HELD: set[Path] = {Path(p) for p in filter(None, [os.environ.get(HELD_BY_PARENT_ENV)])}


def snapshot_path(warehouse: Path) -> Path:
    """Where the read-only analyst snapshot of `warehouse` is published (beside it)."""
    return warehouse.with_name(f"{warehouse.stem}.snapshot{warehouse.suffix or '.duckdb'}")


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(f"{warehouse.name}.lock")


def _wait_seconds(env: str, default: float) -> float:
    try:
        return max(0.0, float(os.environ.get(env, default)))
    except ValueError:
        return default


def writer_wait() -> float:
    return _wait_seconds(WRITER_WAIT_ENV, DEFAULT_WRITER_WAIT)


def reader_wait() -> float:
    return _wait_seconds(READER_WAIT_ENV, DEFAULT_READER_WAIT)


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _holder(lock: Path) -> str:
    """Who holds the writer lock, as its holder wrote it ('pid 123: itsm run, since ...')."""
    try:
        text = lock.read_text().strip()
    except OSError:
        text = ""
    return text or "another process"


@contextmanager
def writer_lock(warehouse: Path, wait: float | None = None, what: str = "") -> Iterator[int | None]:
    """Hold the warehouse exclusively (re-entrant in this process), waiting up to `wait` seconds for other
    writers and for readers of the live file; raise WarehouseBusy when they hold it longer. Yields the lock
    file's descriptor (None when this process held the lock already), for a child that must keep it."""
    warehouse = Path(warehouse).resolve()
    if warehouse in _WRITER_HELD:
        yield None
        return
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    wait = writer_wait() if wait is None else wait
    lock = lock_path(warehouse)
    handle = lock.open("a+")
    try:
        deadline, said = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"the warehouse {warehouse} is in use ({_holder(lock)}) and stayed so for {wait:g} s; "
                        f"try again when it has finished (wait longer with {WRITER_WAIT_ENV})"
                    ) from None
                if not said:
                    _note(f"waiting up to {wait:g} s for the warehouse {warehouse}: in use ({_holder(lock)})")
                    said = True
                time.sleep(RETRY_SECONDS)
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.write(f"pid {os.getpid()}: {what or ' '.join(Path(a).name for a in sys.argv[:2])}, since {since}\n")
        handle.flush()
        _WRITER_HELD.add(warehouse)
        try:
            yield handle.fileno()
        finally:
            _WRITER_HELD.discard(warehouse)
            handle.seek(0)
            handle.truncate()
            handle.flush()
    finally:
        handle.close()  # closing the file releases the flock


def writer_active(warehouse: Path) -> bool:
    """Whether a writer (another process) holds the warehouse now."""
    warehouse = Path(warehouse).resolve()
    lock = lock_path(warehouse)
    if warehouse in _WRITER_HELD or not lock.exists():
        return False
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


def _is_lock_error(err: duckdb.Error) -> bool:
    text = str(err).lower()  # "Could not set lock on file ...: Conflicting lock is held in ... (PID n)"
    return "could not set lock" in text or "conflicting lock" in text


def is_damage(err: duckdb.Error) -> bool:
    """Whether a DuckDB error says the file is damaged (not a lock, not a query error)."""
    text = str(err).lower()
    return any(
        sign in text
        for sign in ("not a valid duckdb database", "could not read enough bytes", "corrupt", "checksum", "serializ")
    ) or isinstance(err, duckdb.SerializationException | duckdb.InternalException)


def _connect(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, retried while a process outside our lock (a DuckDB CLI, a dying run's child) holds the
    file; damage is raised as WarehouseDamaged."""
    deadline, said = time.monotonic() + wait, False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as err:
            if _is_lock_error(err):
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"the warehouse {path} is held by another process for more than {wait:g} s ({err}); "
                        "try again when it has finished"
                    ) from None
                if not said:
                    _note(f"waiting up to {wait:g} s for the warehouse {path}: another process has it open")
                    said = True
                time.sleep(RETRY_SECONDS)
                continue
            if is_damage(err):
                raise WarehouseDamaged(f"{DAMAGED} ({path}: {err})") from None
            raise


def open_warehouse(
    path: Path, read_only: bool = False, wait: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Generator body shared by the resource and the CLI: lock, open, hand out, always close and unlock.

    read_only: the live file when no writer holds it, else the analyst snapshot, else wait (module docstring)."""
    path = Path(path).resolve()
    if read_only:
        if not path.exists():
            raise FileNotFoundError(f"No warehouse at {path}: run `make demo` or `itsm run` first.")
        with _reader(path, reader_wait() if wait is None else wait) as conn:
            yield conn
        return
    with writer_lock(path, wait):
        conn = _connect(path, read_only=False, wait=writer_wait() if wait is None else wait)
        try:
            _set_session(conn)
            yield conn
        finally:
            conn.close()


def _set_session(conn: duckdb.DuckDBPyConnection) -> None:
    # TimeZone is set on the session: DuckDB 2.0 rejects it in connect(config=...) before ICU is loaded.
    conn.execute("SET TimeZone = 'UTC'")


@contextmanager
def _session(path: Path, wait: float) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = _connect(path, read_only=True, wait=wait)
    try:
        _set_session(conn)
        yield conn
    finally:
        conn.close()


def _try_live(path: Path) -> duckdb.DuckDBPyConnection | None:
    """The live file read-only, or None while another process (outside our lock) holds it."""
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as err:
        if _is_lock_error(err):
            return None
        if is_damage(err):
            raise WarehouseDamaged(f"{DAMAGED} ({path}: {err})") from None
        raise


@contextmanager
def _reader(path: Path, wait: float) -> Iterator[duckdb.DuckDBPyConnection]:
    if path in _WRITER_HELD:  # this process is the writer (a run's report step): nobody else has the file
        with _session(path, wait) as conn:
            yield conn
        return
    lock, snapshot = lock_path(path), snapshot_path(path)
    deadline, said = time.monotonic() + wait, False
    with lock.open("a+") as handle:
        while True:
            conn = None
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                conn = _try_live(path)
                if conn is None:  # held by a process that does not take our lock (a DuckDB CLI, say)
                    fcntl.flock(handle, fcntl.LOCK_UN)
            except BlockingIOError:
                pass
            if conn is not None:  # the shared lock is held until the connection is closed
                try:
                    _set_session(conn)
                    yield conn
                finally:
                    conn.close()
                return
            if snapshot.exists():
                published = datetime.fromtimestamp(snapshot.stat().st_mtime, UTC)
                _note(
                    f"the warehouse is being written ({_holder(lock)}): reading the analyst snapshot published "
                    f"{published:%Y-%m-%d %H:%M:%S} UTC ({snapshot})"
                )
                with _session(snapshot, wait) as conn:
                    yield conn
                return
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"the warehouse is being written ({_holder(lock)}) and no analyst snapshot exists yet "
                    f"({snapshot}); try again when the run has finished (wait longer with {READER_WAIT_ENV})"
                )
            if not said:
                _note(f"waiting up to {wait:g} s for the warehouse ({_holder(lock)})")
                said = True
            time.sleep(RETRY_SECONDS)


warehouse_connection = contextmanager(open_warehouse)
