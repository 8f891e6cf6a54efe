"""Hand-built raw rows for the dbt tests (tickets, events, changes, outages, surveys).

Tests describe only the contract columns they care about; lineage columns get harmless defaults so each row
is a valid `raw.<table>` row, exactly as the loader would write it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

from data_quality.contract import TABLES
from pipelines.ingest.schema import ensure_raw_schema


def new_warehouse(path: Path) -> Path:
    """Create a DuckDB file at `path` with the empty raw schema (as the `empty_warehouse` fixture does)."""
    with duckdb.connect(str(path)) as conn:
        ensure_raw_schema(conn)
    return path


def insert_rows(warehouse: Path, table: str, rows: Iterable[Mapping[str, object]], load_id: int = 1) -> None:
    """Append rows to raw.<table> as load `load_id`; timestamps are ISO strings with an explicit UTC offset."""
    columns = TABLES[table].column_names
    lineage = ["_source_file", "_file_sha256", "_row_number", "_loaded_at", "_load_id"]
    with duckdb.connect(str(warehouse)) as conn:
        # DuckDB 2.0 rejects TimeZone in connect(config=...) (icu loads later), so set it on the session.
        conn.execute("SET TimeZone = 'UTC'")
        for number, row in enumerate(rows, start=1):
            unknown = set(row) - set(columns)
            if unknown:
                raise ValueError(f"{table}: not contract columns: {sorted(unknown)}")
            lineage_values = [f"hand_{table}.csv", "0" * 64, number, "2030-01-01 00:00Z", load_id]
            values = [row.get(c) for c in columns] + lineage_values
            names = ", ".join(columns + lineage)
            marks = ", ".join("?" for _ in values)
            conn.execute(f"INSERT INTO raw.{table} ({names}) VALUES ({marks})", values)


def log_load(warehouse: Path, load_id: int, exported_at: str, status: str = "loaded") -> None:
    """Record load `load_id` in raw.load_log as the loader would, with its export instant (ISO, explicit offset)."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(
            """insert into raw.load_log (load_id, source_file, file_sha256, adapter, status, started_at, exported_at)
               values (?, ?, ?, 'canonical', ?, ?, ?)""",
            [load_id, f"/inbox/hand_{load_id}.csv", f"{load_id:064d}", status, "2030-01-01 00:00Z", exported_at],
        )


def query(warehouse: Path, sql: str) -> list[dict[str, object]]:
    """Rows of `sql` as dicts (read-only connection, UTC session)."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        cursor = conn.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def dbt_build_output(args: list[str], warehouse: Path, work_dir: Path) -> tuple[int, str]:
    """Run the real dbt CLI like the `dbt` fixture, but hand back (exit code, output) instead of failing:
    for cases where a failing build IS the expected outcome (a blocking data-quality test)."""
    import os
    import subprocess
    import sys

    from pipelines.settings import DBT_PROJECT_DIR

    env = {
        **os.environ,
        "ITSM_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def ticket_row(ticket_id: str, opened_at: str, **fields: object) -> dict[str, object]:
    """A P3 email incident, resolved when `resolved_at` is given, else in progress; `fields` override any column."""
    row: dict[str, object] = {
        "ticket_id": ticket_id,
        "ticket_type": "incident",
        "opened_at": opened_at,
        "state": "resolved" if fields.get("resolved_at") else "in_progress",
        "priority": 3,
        "service": "email",
    }
    row.update(fields)
    return row


def state_event(ticket_id: str, at: str, from_value: str | None, to_value: str) -> dict[str, object]:
    """A state change of the ticket's event log."""
    return {"ticket_id": ticket_id, "event_at": at, "field": "state", "from_value": from_value, "to_value": to_value}


def sla_row(warehouse: Path, ticket_id: str, metric: str = "resolution", cycle_no: int = 1) -> dict[str, object]:
    """The one fct_ticket_sla row of a ticket's clock (metric, cycle)."""
    rows = query(
        warehouse,
        f"select * from marts.fct_ticket_sla where ticket_id = '{ticket_id}' and metric = '{metric}' "
        f"and cycle_no = {cycle_no}",
    )
    assert len(rows) == 1, rows
    return rows[0]
