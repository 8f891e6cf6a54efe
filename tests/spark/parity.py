"""Table comparison for the engine parity tests: the same rows on both engines, floats rounded."""

from __future__ import annotations

from pathlib import Path

import duckdb

# Floating sums and divisions may differ in the last bits between engines (and by summation order).
FLOAT_DIGITS = 6


def table_names(warehouse: Path, schema: str) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
        ).fetchall()
    return [name for (name,) in rows]


def canonical_rows(warehouse: Path, table: str) -> tuple[list[str], list[tuple]]:
    """Columns (sorted by name) and every row of `table`, floats rounded, sorted: comparable across engines."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        conn.execute("set TimeZone = 'UTC'")
        described = conn.execute(f"describe {table}").fetchall()
        columns = sorted(name for name, *_ in described)
        types = {name: kind for name, kind, *_ in described}
        exprs = []
        for name in columns:
            if types[name] in ("DOUBLE", "FLOAT") or types[name].startswith("DECIMAL"):
                exprs.append(f'round(cast("{name}" as double), {FLOAT_DIGITS})')
            elif types[name].startswith("TIMESTAMP"):
                exprs.append(f'cast("{name}" as timestamptz)')
            else:
                exprs.append(f'"{name}"')
        rows = conn.execute(f"select {', '.join(exprs)} from {table} order by all").fetchall()
    return columns, rows


def differences(duck: Path, spark: Path, table: str, shown: int = 5) -> str:
    """'' when `table` holds the same rows in both warehouses, else a short description of the difference."""
    duck_columns, duck_rows = canonical_rows(duck, table)
    spark_columns, spark_rows = canonical_rows(spark, table)
    if duck_columns != spark_columns:
        return f"{table}: columns {duck_columns} (DuckDB) vs {spark_columns} (Spark)"
    if duck_rows == spark_rows:
        return ""
    only_duck = sorted(set(duck_rows) - set(spark_rows))[:shown]
    only_spark = sorted(set(spark_rows) - set(duck_rows))[:shown]
    return (
        f"{table}: {len(duck_rows)} rows (DuckDB) vs {len(spark_rows)} (Spark); "
        f"only DuckDB {only_duck}; only Spark {only_spark}"
    )
