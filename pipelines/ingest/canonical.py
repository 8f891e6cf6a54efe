"""The canonical format (CSV, Parquet or JSON lines): columns named as in the contract, one file per table.

The table is chosen by the file name prefix (tickets*, ticket_events*, changes*, outages*, surveys*) or else by
the header: the contract table whose required columns are all present and that shares the most columns.
Timestamps are ISO 8601; naive ones are read in the `canonical` source time zone.
"""

from __future__ import annotations

from pathlib import Path

from data_quality.contract import TABLES, Table
from pipelines.ingest.adapter import Adapter, Mapping, finish, quote, require
from pipelines.ingest.files import FileRejected

# Longest prefix first so "ticket_events.csv" is not read as "tickets".
PREFIXES = sorted(TABLES, key=len, reverse=True)


def table_by_name(path: Path) -> Table | None:
    name = path.name.lower()
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return TABLES[prefix]
    return None


def table_by_columns(header: tuple[str, ...]) -> Table | None:
    present = set(header)
    fits = [t for t in TABLES.values() if set(t.required) <= present]
    if not fits:
        return None
    return max(fits, key=lambda t: (len(present & set(t.column_names)), -len(t.columns)))


class CanonicalAdapter(Adapter):
    name = "canonical"

    def matches(self, header: tuple[str, ...], path: Path) -> bool:
        return table_by_columns(header) is not None or (
            table_by_name(path) is not None and bool(set(header) & set(table_by_name(path).column_names))
        )

    def mapping(self, header: tuple[str, ...], path: Path) -> Mapping:
        table = table_by_name(path) or table_by_columns(header)
        if table is None:
            raise FileRejected(
                path,
                "canonical format: the header matches no contract table and the file name has no table prefix "
                f"({', '.join(TABLES)}); header was: {', '.join(header[:12])}",
            )
        columns = {name: quote(name) if name in header else None for name in table.column_names}
        require(path, table, columns, {})
        extra = tuple(name for name in header if name not in table.column_names)
        return Mapping(table=table, columns=finish(columns, table), extra_columns=extra, variant=table.name)
