"""`itsm close-period YYYY-MM`: freeze the month's KPIs "as reported" in append-only audit.kpi_snapshots.

The close reads marts.kpi_monthly_long (every monthly KPI mart, unpivoted by dbt), writes them as an evidence
extract with a manifest (CSV + Parquet), and appends the same rows to audit.kpi_snapshots with the manifest's
SHA-256. Closing a month that already has a snapshot is refused unless forced; a forced close appends a new
snapshot (the earlier one is kept, never updated). marts.kpi_restatements compares the latest snapshot of each
month with the current marts.
"""

from __future__ import annotations

import getpass
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from pipelines.extracts.connection import first_row, relation_exists
from pipelines.extracts.destination import protected_folders
from pipelines.extracts.manifest import code_version_label, run_ids
from pipelines.extracts.request import ExtractError, parse_month
from pipelines.extracts.runner import ExtractResult, materialize
from pipelines.extracts.spec import Dataset
from pipelines.warehouse import WarehouseBusy, warehouse_connection

SNAPSHOT_TABLE = "audit.kpi_snapshots"
KPI_SOURCE = "marts.kpi_monthly_long"
# Keep equal to the pre-hook of dbt_project/models/marts/audit/kpi_restatements.sql (a test compares them).
SNAPSHOT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("snapshot_id", "BIGINT NOT NULL"),
    ("period_month", "DATE NOT NULL"),
    ("source_mart", "VARCHAR NOT NULL"),
    ("dimension_key", "VARCHAR NOT NULL"),
    ("kpi", "VARCHAR NOT NULL"),
    ("kpi_value", "DOUBLE"),
    ("closed_at", "TIMESTAMP WITH TIME ZONE NOT NULL"),
    ("manifest_sha256", "VARCHAR NOT NULL"),
    ("code_version", "VARCHAR"),
    ("forced", "BOOLEAN NOT NULL"),
)


@dataclass(frozen=True)
class CloseResult:
    period: str
    snapshot_id: int
    rows: int
    forced: bool
    extract: ExtractResult


def ensure_snapshot_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS audit")
    cols = ",\n    ".join(f"{name} {ddl}" for name, ddl in SNAPSHOT_COLUMNS)
    conn.execute(f"CREATE TABLE IF NOT EXISTS {SNAPSHOT_TABLE} (\n    {cols}\n)")


@contextmanager
def _writable(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The live warehouse under the writer lock (a close writes audit.kpi_snapshots), so a run that starts
    meanwhile waits for the close instead of failing on DuckDB's file lock."""
    if not warehouse.exists():
        raise ExtractError(f"no warehouse at {warehouse}: run `make demo` or `itsm run` first")
    try:
        with warehouse_connection(warehouse) as conn:
            yield conn
    except WarehouseBusy as err:
        raise ExtractError(
            f"{err}. A close writes audit.kpi_snapshots, so it needs the live warehouse: retry when the run has "
            "finished"
        ) from err


def previous_close(conn: duckdb.DuckDBPyConnection, month: date) -> tuple[int, datetime, str] | None:
    return first_row(
        conn,
        f"""select snapshot_id, closed_at, manifest_sha256 from {SNAPSHOT_TABLE}
            where period_month = $month order by snapshot_id desc limit 1""",
        {"month": month},
    )


def close_period(
    period: str,
    warehouse: Path,
    out_root: Path,
    force: bool = False,
    dagster_run_id: str | None = None,
    publish: bool = True,
) -> CloseResult:
    """Snapshot the month's KPIs; the evidence extract goes to `out_root/period-close/<YYYY-MM>-snapshot-<id>`.

    Afterwards the analyst snapshot is republished (unless `publish` is false) so `itsm sql` sees the close.
    """
    month, _ = parse_month(period)
    with _writable(warehouse) as conn:
        if not relation_exists(conn, KPI_SOURCE):
            raise ExtractError(f"{KPI_SOURCE} does not exist: build the marts first (`itsm run`); nothing written")
        ensure_snapshot_table(conn)
        earlier = previous_close(conn, month)
        if earlier and not force:
            snapshot_id, closed_at, manifest_sha = earlier
            raise ExtractError(
                f"{period} is already closed (snapshot {snapshot_id} at {closed_at:%Y-%m-%d %H:%M} UTC, manifest "
                f"{manifest_sha[:12]}...). Closing again would change the as-reported figures; use --force to "
                "record a new snapshot (the earlier one is kept). Nothing written."
            )
        dataset = Dataset(
            name="kpi_snapshot",
            description=f"Every monthly KPI of {period} as reported at close (from {KPI_SOURCE}).",
            sql=f"""select period_month, source_mart, dimension_key, kpi, kpi_value from {KPI_SOURCE}
                    where period_month = $month order by all""",
        )
        table = conn.sql(dataset.sql, params={"month": month}).to_arrow_table()
        if table.num_rows == 0:
            raise ExtractError(f"no KPIs for {period} in {KPI_SOURCE}: the month has no data; nothing written")
        row = first_row(conn, f"select coalesce(max(snapshot_id), 0) + 1 from {SNAPSHOT_TABLE}")
        snapshot_id = int(row[0]) if row else 1
        runs = run_ids(conn, dagster_run_id)
        request = {
            "kind": "period-close",
            "period": period,
            "force": force,
            "snapshot_id": snapshot_id,
            "replaces_snapshot_id": earlier[0] if earlier else None,
            "closed_by": getpass.getuser(),
            "warehouse": str(warehouse),
        }
        out_dir = out_root / "period-close" / f"{period}-snapshot-{snapshot_id}"
        extract = materialize(
            out_dir,
            request,
            [(dataset, table)],
            runs,
            key=None,
            include_comments=False,
            protected=protected_folders(warehouse, None),
        )
        try:
            # Insert exactly the rows written to the evidence files, not a second read of the mart.
            conn.register("closed_rows", table)
            conn.execute("BEGIN TRANSACTION")
            conn.execute(
                f"""insert into {SNAPSHOT_TABLE}
                    select $snapshot_id, period_month, source_mart, dimension_key, kpi, kpi_value,
                           $closed_at, $manifest_sha, $code_version, $forced
                    from closed_rows""",
                {
                    "snapshot_id": snapshot_id,
                    "closed_at": datetime.now(UTC),
                    "manifest_sha": extract.manifest_sha256,
                    "code_version": code_version_label(),
                    "forced": bool(earlier),
                },
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            shutil.rmtree(extract.out_dir, ignore_errors=True)
            raise
        result = CloseResult(period, snapshot_id, table.num_rows, bool(earlier), extract)
    # Analysts read the snapshot: republish it so the close (and kpi_restatements) shows there at once.
    if publish:
        from pipelines.extracts.analyst import publish_snapshot

        publish_snapshot(warehouse)
    return result
