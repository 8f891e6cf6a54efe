"""A damaged warehouse is detected when opened, and every command stops with what to do, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from faults import itsm, pipeline_env

from pipelines.warehouse import DAMAGED, WarehouseDamaged, warehouse_connection

CSV = "ticket_id,ticket_type,opened_at,state,priority\nINC1,incident,2025-01-06T09:00:00Z,new,3\n"


def _warehouse(path: Path) -> Path:
    """A real warehouse with some blocks of data in it (300,000 rows, about 3 MB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema raw")
        conn.execute("create table raw.filler as select range as i, range::varchar as s from range(300000)")
        conn.execute("checkpoint")
    return path


def truncate_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def truncate_last_block(path: Path) -> None:
    os.truncate(path, path.stat().st_size - 262144)


def damage_header(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.write(b"\xff" * 64)


def damage_database_header(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.seek(4096)  # the first of DuckDB's two database headers: its checksum no longer matches
        handle.write(b"\xff" * 64)


DAMAGES = [truncate_half, truncate_last_block, damage_header, damage_database_header]


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda f: f.__name__)
def test_opening_a_damaged_warehouse_for_writing_raises_warehouse_damaged(tmp_path: Path, damage):
    path = _warehouse(tmp_path / "itsm.duckdb")
    damage(path)
    with pytest.raises(WarehouseDamaged) as raised, warehouse_connection(path):
        pass
    assert str(raised.value).startswith(DAMAGED)
    assert "restore from the snapshot or rebuild with `itsm run --full-refresh`" in str(raised.value)


def test_an_intact_warehouse_opens(tmp_path: Path):
    path = _warehouse(tmp_path / "itsm.duckdb")
    with warehouse_connection(path) as conn:
        assert conn.execute("select count(*) from raw.filler").fetchall() == [(300000,)]


@pytest.mark.parametrize("damage", [truncate_half, damage_header], ids=lambda f: f.__name__)
def test_commands_on_a_damaged_warehouse_stop_with_one_line(tmp_path: Path, damage):
    env = pipeline_env(tmp_path)
    path = _warehouse(Path(env["ITSM_WAREHOUSE"]))
    damage(path)
    export = tmp_path / "tickets.csv"
    export.write_text(CSV)
    before = path.read_bytes()
    for args in (["ingest", str(export)], ["status"], ["check"], ["explain", "INC1"]):
        proc = itsm(args, env, timeout=120)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert "warehouse damaged: restore from the snapshot or rebuild with `itsm run --full-refresh`" in (
            proc.stderr
        ), (args, proc.stderr)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
    assert path.read_bytes() == before  # nothing was written into the damaged file


def test_full_refresh_sets_a_damaged_warehouse_aside_and_keeps_it(tmp_path: Path, capsys):
    from pipelines.commands.core import set_aside_if_damaged

    path = _warehouse(tmp_path / "itsm.duckdb")
    damage_header(path)
    damaged = path.read_bytes()
    set_aside_if_damaged(path)
    (aside,) = tmp_path.glob("itsm.duckdb.damaged-*")
    assert not path.exists() and aside.read_bytes() == damaged  # kept byte for byte, never deleted
    assert "rebuilding from the inbox" in capsys.readouterr().err
    intact = _warehouse(tmp_path / "other" / "itsm.duckdb")
    set_aside_if_damaged(intact)  # an intact warehouse is left where it is
    assert intact.exists() and not list(intact.parent.glob("*.damaged-*"))
