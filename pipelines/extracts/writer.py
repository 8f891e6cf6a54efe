"""Deterministic CSV + Parquet writing: the same table gives the same bytes on every run.

What makes it deterministic: rows arrive totally ordered (ORDER BY ALL over a fixed column list), the column
order is the query's, no timestamps or host names are written into data files, and the Parquet writer settings
are pinned here (codec, row-group size, statistics) rather than left to library defaults that may change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "row_group_size": 128 * 1024,
    "write_statistics": True,
    "use_dictionary": True,
    "data_page_version": "2.0",
}


@dataclass(frozen=True)
class WrittenFile:
    name: str
    dataset: str
    format: str
    rows: int
    bytes: int
    sha256: str

    def as_manifest_entry(self) -> dict[str, object]:
        return {
            "name": self.name,
            "dataset": self.dataset,
            "format": self.format,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# OWASP's CSV injection rule: a spreadsheet reads a cell starting with one of these as a formula (or, for tab and
# carriage return, strips them and reads what follows), so `=HYPERLINK(...)` typed into a ticket would run in
# the auditor's spreadsheet. Such text cells get a leading single quote, which spreadsheets show as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_TEXT_ESCAPING = (
    "CSV only: a text cell starting with = + - @ TAB or CR is written with a leading ' (OWASP CSV injection rule), "
    "so spreadsheets show it as text; numbers, dates and timestamps are never changed; Parquet holds exact values"
)


def _escape_text(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, int]:
    values = column.to_pylist()
    escaped = 0
    for index, value in enumerate(values):
        if value and value.startswith(FORMULA_TRIGGERS):
            values[index] = "'" + value
            escaped += 1
    return (pa.chunked_array([pa.array(values, type=pa.string())]), escaped) if escaped else (column, 0)


def _is_text(kind: pa.DataType) -> bool:
    # DuckDB hands ENUM columns over as dictionaries of strings: text too.
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def csv_ready(table: pa.Table) -> tuple[pa.Table, int]:
    """The table as CSV cells, and how many text cells were escaped.

    CSV has no nested types: lists/structs/maps become their JSON-like text form, in a stable way. Text cells
    that a spreadsheet would run as a formula are escaped (FORMULA_TRIGGERS); typed columns (numbers, dates) are
    written as they are, so a negative number stays a number.
    """
    columns, escaped = [], 0
    for column in table.columns:
        if pa.types.is_nested(column.type):
            column = pa.chunked_array(
                [pa.array([None if v is None else str(v) for v in column.to_pylist()], type=pa.string())]
            )
        if _is_text(column.type):
            column, count = _escape_text(column.cast(pa.string()))
            escaped += count
        columns.append(column)
    return pa.table(columns, names=table.column_names), escaped


def write_dataset(table: pa.Table, directory: Path, name: str) -> tuple[list[WrittenFile], int]:
    """Write `<name>.csv` and `<name>.parquet` into `directory`; return what was written with hashes, and how many
    CSV text cells were escaped (see csv_ready)."""
    written = []
    csv_path = directory / f"{name}.csv"
    cells, escaped = csv_ready(table)
    pacsv.write_csv(
        cells,
        csv_path,
        write_options=pacsv.WriteOptions(include_header=True, delimiter=",", quoting_style="needed"),
    )
    parquet_path = directory / f"{name}.parquet"
    # Schema metadata is dropped: it could carry writer-side details that are not part of the data.
    pq.write_table(table.replace_schema_metadata(None), parquet_path, **PARQUET_OPTIONS)
    for path, fmt in ((csv_path, "csv"), (parquet_path, "parquet")):
        written.append(
            WrittenFile(
                name=path.name,
                dataset=name,
                format=fmt,
                rows=table.num_rows,
                bytes=path.stat().st_size,
                sha256=sha256_file(path),
            )
        )
    return written, escaped
