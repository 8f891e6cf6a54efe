"""Build the dbt models on a local Spark instead of DuckDB (README, Running on Spark / Databricks).

Ingestion stays on DuckDB. This module writes the DuckDB `raw` and `audit` tables to Parquet, registers them as
external tables of a Spark session (the dbt sources `raw.*` and `audit.*`), runs `dbt build --target spark` in
the same process (dbt-spark's `session` method reuses the session), and copies the built tables back into the
DuckDB warehouse, so checks, dashboards and extracts read them unchanged.

    python -m pipelines.spark_engine            # the warehouse of the usual settings (ITSM_WAREHOUSE)

pyspark and dbt-spark come from the `spark` dependency group (make setup-spark).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from pipelines.settings import DBT_PROJECT_DIR, Settings
from pipelines.warehouse import writer_lock

# Schemas read as dbt sources; they are written by ingestion and `itsm close-period`, not by dbt.
SOURCE_SCHEMAS = ("raw", "audit")
# Schemas dbt builds that checks, dashboards and extracts read from the DuckDB warehouse.
COPIED_SCHEMAS = ("reference", "staging", "intermediate", "marts")
# Spark settings of the `spark` output of dbt_project/profiles.yml, for the session this module starts itself.
SESSION_CONF = {
    "spark.master": "local[2]",
    "spark.driver.memory": os.environ.get("ITSM_SPARK_DRIVER_MEMORY", "2g"),
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    # marts are copied back through the driver (toArrow): at 1M tickets one table is over the 1 GiB default
    "spark.driver.maxResultSize": "0",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


def spark_session(work_dir: Path) -> Any:
    """The local Spark session dbt will reuse, with its table files under `work_dir`/tables."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("itsm-dbt")
    for key, value in {**SESSION_CONF, "spark.sql.warehouse.dir": str(work_dir / "tables")}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    # dbt reports each failed statement; Spark's own logs would repeat it with the whole query plan
    spark.sparkContext.setLogLevel("OFF")
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    return spark


def export_sources(warehouse: Path, parquet_dir: Path) -> dict[str, list[str]]:
    """Write every table of the source schemas to `parquet_dir`/<schema>/<table>.parquet; {schema: [tables]}."""
    tables: dict[str, list[str]] = {}
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_schema in (select unnest(?)) order by 1, 2",
            [list(SOURCE_SCHEMAS)],
        ).fetchall()
        for schema, table in rows:
            target = parquet_dir / schema / f"{table}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            conn.execute(f"copy {schema}.{table} to '{target}' (format parquet)")
            tables.setdefault(schema, []).append(table)
    return tables


def register_sources(spark: Any, parquet_dir: Path, tables: dict[str, list[str]]) -> None:
    """External Parquet tables in Spark under the same schema and table names as in DuckDB."""
    for schema, names in tables.items():
        spark.sql(f"create database if not exists {schema}")
        for table in names:
            spark.sql(f"drop table if exists {schema}.{table}")
            spark.sql(f"create table {schema}.{table} using parquet location '{parquet_dir / schema / table}.parquet'")


def dbt_cli_args(args: Sequence[str], work_dir: Path, target: str = "spark") -> list[str]:
    """`args` for dbt on `target` of this project, with its target and log folders under `work_dir`."""
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    folders = ["--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
    return [*args, "--target", target, *project, *folders]


def run_dbt(args: Sequence[str], work_dir: Path) -> None:
    """dbt on the `spark` target, in this process (so it reuses the registered session); raises on failure."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(dbt_cli_args(args, work_dir))
    if not result.success:
        raise RuntimeError(f"dbt {' '.join(args)} failed on Spark: {result.exception or 'see the log above'}")


def copy_back(spark: Any, warehouse: Path, schemas: Sequence[str]) -> list[str]:
    """Replace the relations of `schemas` in the DuckDB warehouse by Spark's, as tables; the names copied.
    A view the DuckDB warehouse already has is kept: it reads DuckDB's own tables live (kpi_restatements reads
    the audit records that `itsm close-period` appends)."""
    copied = []
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("set TimeZone = 'UTC'")
        duckdb_views = set(conn.execute("select schema_name || '.' || view_name from duckdb_views()").fetchall())
        for schema in schemas:
            conn.execute(f"create schema if not exists {schema}")
            for table in spark.catalog.listTables(schema):
                name = f"{schema}.{table.name}"
                if table.isTemporary or (name,) in duckdb_views:
                    continue
                data = spark.table(name).toArrow()  # noqa: F841 (read by DuckDB's replacement scan)
                conn.execute(f"create or replace table {name} as select * from data")
                copied.append(name)
    return copied


def build_on_spark(
    settings: Settings,
    dbt_args: Sequence[str] = ("build",),
    schemas: Sequence[str] = COPIED_SCHEMAS,
    work_dir: Path | None = None,
) -> list[str]:
    """Build the dbt project on a local Spark from the raw tables of `settings.warehouse_path` and copy the
    tables of `schemas` back into that warehouse; returns the tables copied. Every build is a full build."""
    work_dir = work_dir or settings.warehouse_path.parent / "spark"
    shutil.rmtree(work_dir, ignore_errors=True)
    parquet_dir = work_dir / "sources"
    # held as a run holds it: no other run loads rows or rewrites tables between the export and the copy back
    with writer_lock(settings.warehouse_path, what="a Spark build"):
        tables = export_sources(settings.warehouse_path, parquet_dir)
        spark = spark_session(work_dir)
        try:
            register_sources(spark, parquet_dir, tables)
            run_dbt(dbt_args, work_dir)
            return copy_back(spark, settings.warehouse_path, schemas)
        finally:
            spark.stop()


def main() -> None:
    copied = build_on_spark(Settings.from_env())
    print(f"built on Spark; copied back {len(copied)} tables")


if __name__ == "__main__":
    main()
