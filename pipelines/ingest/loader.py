"""Load export files into the `raw` schema: one transaction per file, rows typed and checked in DuckDB.

Per file: SHA-256 (a file already loaded is skipped), format and header, adapter, then one SQL pipeline:
source rows (all text) -> mapped to the contract -> typed and checked -> good rows to raw.<table> with lineage,
failing rows to raw.quarantine with line number, raw text and reason. A file-level problem rolls the whole file
back and is recorded in raw.load_log with status `rejected` and the error.

Counts: rows_read = rows_loaded + rows_quarantined, per source row (a malformed CSV line counts as one row read
and one quarantined). `tables` says how many rows each raw table received (a ServiceNow event log feeds tickets
and ticket_events from the same accepted snapshot rows).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from data_quality.contract import LOAD_LOG_TABLE, QUARANTINE_TABLE, RAW_SCHEMA, TABLES
from pipelines.ingest.adapter import Adapter, Mapping, literal, quote
from pipelines.ingest.detect import detect_adapter
from pipelines.ingest.duplicates import quarantine_repeated_rows
from pipelines.ingest.files import FileInfo, FileRejected, inspect_file
from pipelines.ingest.mapping import MappingError, load_mapping
from pipelines.ingest.schema import ensure_raw_schema
from pipelines.ingest.sidecar import SIDECAR_SUFFIX, ExportInfo, read_sidecar
from pipelines.ingest.validate import checked_select
from pipelines.settings import Settings

JSONL_DELIMITER = "\x1f"  # never present unescaped in valid JSON, so each line is one field
# Longest line the readers take (bytes). A longer line cannot be read: it is quarantined with its size and the
# first characters DuckDB kept of it, and the rest of the file loads.
MAX_LINE_BYTES = 10_000_000
# Physical line of a data record = record number + offset: CSV has a header line (when a quoted field spans
# lines, _physical_lines works the real lines out); JSON lines are numbered by physical line; Parquet has no
# lines (row index, 1-based).
LINE_OFFSET = {"csv": 1, "jsonl": 0, "parquet": 0}


@dataclass
class LoadResult:
    path: Path
    status: str  # loaded | skipped_duplicate | rejected
    sha256: str = ""
    adapter: str = ""
    target: str = ""  # raw table named in this file's quarantine rows
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0
    exported_at: datetime | None = None  # the file's export instant (see sidecar.py); None until known

    @property
    def ok(self) -> bool:
        return self.status != "rejected"


# Called before a file (result None) and after it (with its result): index is 1-based.
ProgressFn = Callable[[int, int, Path, LoadResult | None], None]


def ingest_files(
    conn: duckdb.DuckDBPyConnection,
    paths: Iterable[Path | str],
    settings: Settings,
    progress: ProgressFn | None = None,
    skip_rejected: bool = False,
    exported_at: datetime | None = None,
    mapping: Path | None = None,
) -> list[LoadResult]:
    """Load each file in its own transaction. Never raises for a bad file: its result says `rejected`.

    skip_rejected: also skip files whose exact bytes were already rejected (the inbox sensor uses it so a bad file
    is not retried on every tick; an explicit `itsm ingest` retries, e.g. with another --adapter).
    exported_at / mapping: the export instant and mapping file of every file of this call; they win over a
    file's sidecar, which wins over the load's start / settings.mapping_file (see sidecar.py).
    """
    conn.execute("SET TimeZone = 'UTC'")
    ensure_raw_schema(conn)
    files = [Path(p) for p in paths]
    results = []
    # The next file is hashed in a thread while DuckDB loads this one (hashlib and DuckDB both release the GIL),
    # so its hash does not hold the load up. A file changed in between loads as it was when hashed.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="itsm-hash") as hasher:
        upcoming = [hasher.submit(inspect_file, path) for path in files[:1]]
        for index, path in enumerate(files, start=1):
            inspected = upcoming.pop()
            if index < len(files):
                upcoming.append(hasher.submit(inspect_file, files[index]))
            if progress:
                progress(index, len(files), path, None)
            given = ExportInfo(exported_at=exported_at, mapping=mapping)
            result = ingest_file(conn, path, settings, skip_rejected=skip_rejected, inspected=inspected, given=given)
            results.append(result)
            if progress:
                progress(index, len(files), path, result)
    return results


CONFIG_SUFFIXES = (".yml", ".yaml")


def inbox_files(inbox: Path) -> list[Path]:
    """Every file under the inbox except hidden ones (`.name`) and YAML files, which are configuration: export
    sidecars (`<file>.export.yml`, read with the file they describe) and mapping files. Nothing else is skipped
    silently: a file that is not an export (an archive, a workbook, notes) is rejected by the loader with a
    message saying what to do."""
    if not inbox.exists():
        return []
    return sorted(
        p
        for p in inbox.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in CONFIG_SUFFIXES
    )


def ingest_inbox(
    conn: duckdb.DuckDBPyConnection, settings: Settings, progress: ProgressFn | None = None
) -> list[LoadResult]:
    """Load every new file under settings.inbox_dir (sorted by path, so re-exports load in name order)."""
    return ingest_files(conn, inbox_files(settings.inbox_dir), settings, progress, skip_rejected=True)


def ingest_file(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    settings: Settings,
    skip_rejected: bool = False,
    inspected: Future[FileInfo] | None = None,
    given: ExportInfo | None = None,
) -> LoadResult:
    """Load one file in its own transaction. `inspected`: inspect_file(path) already running (ingest_files).
    `given`: export instant and mapping stated for this call (they win over the file's sidecar)."""
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    result = LoadResult(path=path, status="rejected")
    try:
        info = inspected.result() if inspected is not None else inspect_file(path)
    except FileRejected as err:
        if _skip(conn, result, err.sha256, skip_rejected):
            return result
        result.error = str(err)
        _log(conn, result, started_at, err.sha256)
        result.seconds = time.perf_counter() - started
        return result
    if _skip(conn, result, info.sha256, skip_rejected):
        return result

    load_id = _next_load_id(conn)
    result.load_id = load_id
    # CSV record numbers are the checked rows' insertion order (see _number_records): keep that order.
    keep_order = conn.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    conn.execute("SET preserve_insertion_order = true")
    conn.execute("BEGIN TRANSACTION")
    try:
        _load(conn, info, settings, result, started_at, given or ExportInfo())
        result.status = "loaded"
        _log(conn, result, started_at, info.sha256)
        conn.execute("COMMIT")
    except BaseException as err:
        conn.execute("ROLLBACK")  # whatever went wrong, nothing of this file stays behind
        if not isinstance(err, FileRejected | duckdb.Error):
            raise
        result.status = "rejected"
        result.rows_read = result.rows_loaded = result.rows_quarantined = 0
        result.tables = {}
        result.error = str(err) if isinstance(err, FileRejected) else f"{path.name}: {_first_line(err)}"
        _log(conn, result, started_at, info.sha256)
    finally:
        conn.execute(f"SET preserve_insertion_order = {str(bool(keep_order)).lower()}")
        _drop_temp(conn, load_id)
    result.seconds = time.perf_counter() - started
    return result


def _load(
    conn: duckdb.DuckDBPyConnection,
    info: FileInfo,
    settings: Settings,
    result: LoadResult,
    at: datetime,
    given: ExportInfo,
) -> None:
    load_id = result.load_id
    if info.path.name.endswith(SIDECAR_SUFFIX):
        raise FileRejected(
            info.path,
            f"a sidecar whose export {info.path.name.removesuffix(SIDECAR_SUFFIX)} is not here; put the export "
            "next to it, or remove the sidecar",
        )
    sidecar = read_sidecar(info.path)
    result.exported_at = given.exported_at or sidecar.exported_at or at
    mapping_file = given.mapping or sidecar.mapping or settings.mapping_file
    header = _header(conn, info)
    if mapping_file is not None:
        try:
            adapter = load_mapping(mapping_file)
        except MappingError as err:
            raise FileRejected(info.path, f"mapping file {err}") from None
        info = adapter.prepare(info)
        header = _header(conn, info)
        adapter.check_header(header, info.path)
    else:
        adapter = detect_adapter(header, info.path, settings.adapter_override)
    if info.repeated and not adapter.repeated_headers:
        name, first, again = info.repeated[0]
        raise FileRejected(
            info.path,
            f"repeated column name in the header (line 1): {name!r} is column {first} and column {again}; one of "
            "them would be read under another name. Rename or remove one and export again",
        )
    mapping = adapter.mapping(header, info.path)
    result.adapter = f"{adapter.name}:{mapping.variant}" if mapping.variant else adapter.name
    result.target = mapping.target
    zone = getattr(adapter, "timezone", None) or settings.timezone_for(adapter.name)
    _check_zone(conn, info.path, zone, adapter.name)

    checked, rejects = f"_checked_{load_id}", f"_rejects_{load_id}"
    source, raw_text = _source_sql(info, header, adapter, load_id)
    select = checked_select(mapping, source, raw_text, zone, result.exported_at)
    conn.execute(f"CREATE TEMP TABLE {checked} AS {select}")
    if info.format == "csv":
        _number_records(conn, checked)
    structural = _structural_rejects(conn, info, load_id, rejects)
    records = conn.execute(f"SELECT count(*) FROM {checked}").fetchone()[0] + structural
    lines = None
    if info.format == "csv" and info.lines != 1 + records:
        # Some quoted field spans lines: record and line numbers part ways, so work the lines out exactly.
        lines = _physical_lines(conn, info, header, adapter, load_id, rejects if structural else None)
    if structural:
        _renumber_after_rejects(conn, checked, rejects)
    if mapping.one_row_per_record:
        quarantine_repeated_rows(conn, checked, mapping.table)

    lineage = (
        f"{literal(str(info.path.resolve()))}, {literal(info.sha256)}, _row_number, "
        f"{literal(at.isoformat())}::TIMESTAMPTZ, {load_id}, _extra"
    )
    derivation = adapter.derive(mapping, checked)
    selects = derivation.selects if derivation else {mapping.table.name: _default_select(mapping, checked)}
    for table_name, select in selects.items():
        columns = TABLES[table_name].column_names
        target = ", ".join(quote(c) for c in columns)
        lineage_cols = "_source_file, _file_sha256, _row_number, _loaded_at, _load_id, _extra"
        written = conn.execute(
            f"INSERT INTO {RAW_SCHEMA}.{table_name} ({target}, {lineage_cols}) "
            f"SELECT {target}, {lineage} FROM ({select}) AS derived"
        ).fetchone()[0]
        result.tables[table_name] = int(written)

    quarantine = f"{RAW_SCHEMA}.{QUARANTINE_TABLE}"
    common = f"{literal(str(info.path.resolve()))}, {literal(info.sha256)}, {load_id}, {literal(mapping.target)}"
    line = f"_row_number + {LINE_OFFSET[info.format]}"
    join = ""
    if lines:
        line, join = f"coalesce(l.line, {line})", f"LEFT JOIN {lines} AS l ON l.record = c._row_number"
    conn.execute(
        f"INSERT INTO {quarantine} SELECT {common}, {line}, _raw, _reason, {literal(at.isoformat())}::TIMESTAMPTZ "
        f"FROM {checked} AS c {join} WHERE _reason IS NOT NULL ORDER BY _row_number"
    )
    if structural:
        line, join = "r.line", ""
        if lines:
            line, join = "coalesce(l.line, r.line)", f"LEFT JOIN {lines} AS l ON l.record = r.line - 1"
        conn.execute(
            f"INSERT INTO {quarantine} SELECT {common}, {line}, raw_text, reason, "
            f"{literal(at.isoformat())}::TIMESTAMPTZ FROM {rejects} AS r {join} ORDER BY r.line"
        )
    good, bad = conn.execute(
        f"SELECT count(*) FILTER (WHERE _reason IS NULL), count(*) FILTER (WHERE _reason IS NOT NULL) FROM {checked}"
    ).fetchone()
    result.rows_loaded = int(good)
    result.rows_quarantined = int(bad) + structural
    result.rows_read = result.rows_loaded + result.rows_quarantined


def _default_select(mapping: Mapping, checked: str) -> str:
    cols = ", ".join(quote(c) for c in mapping.table.column_names)
    return f"SELECT {cols}, _row_number, _extra FROM {checked} WHERE _reason IS NULL"


def _header(conn: duckdb.DuckDBPyConnection, info: FileInfo) -> tuple[str, ...]:
    path = literal(str(info.path))
    if info.format == "csv":
        return info.header
    if info.format == "parquet":
        try:
            rows = conn.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
        except duckdb.Error as err:
            raise FileRejected(info.path, f"unreadable Parquet file: {_first_line(err)}") from None
        return tuple(r[0] for r in rows)
    rows = conn.execute(
        f"""SELECT key FROM (
                SELECT unnest(json_keys(_json)) AS key, _line FROM {_jsonl_lines(info)}
                WHERE json_valid(_json) AND starts_with(ltrim(_json), '{{'))
            GROUP BY key ORDER BY min(_line), key"""
    ).fetchall()
    if not rows:
        raise FileRejected(info.path, "JSON lines file has no valid JSON object on any line")
    return tuple(r[0] for r in rows)


def _compression(info: FileInfo) -> str:
    return f", compression={literal(info.compression)}" if info.compression else ""


def _jsonl_lines(info: FileInfo, rejects: str | None = None) -> str:
    """Every line the reader can read, numbered in order (_line). A line it cannot read (longer than
    MAX_LINE_BYTES) is stored in the rejects tables when `rejects` is given, else skipped; either way later lines
    are numbered without it, and _structural_rejects / _renumber_after_rejects put the physical numbers back."""
    store = (
        f", store_rejects=true, rejects_table='{rejects}_e', rejects_scan='{rejects}_s'"
        if rejects
        else ", ignore_errors=true"
    )
    return f"""(SELECT row_number() OVER () AS _line, _json FROM read_csv({literal(str(info.path))},
            columns={{'_json': 'VARCHAR'}}, delim={literal(JSONL_DELIMITER)}, quote='', escape='', header=false,
            auto_detect=false, null_padding=false, max_line_size={MAX_LINE_BYTES}{_compression(info)}{store}))"""


def _nullify(expr: str, null_values: tuple[str, ...]) -> str:
    values = ", ".join(literal(v) for v in null_values)
    return f"CASE WHEN trim({expr}) IN ({values}) THEN NULL ELSE {expr} END"


def _source_sql(info: FileInfo, header: tuple[str, ...], adapter: Adapter, load_id: int) -> tuple[str, str]:
    """FROM-clause relation of all-text source columns + _row_number, and the raw-text expression."""
    path = literal(str(info.path))
    if info.format == "csv":
        columns = ", ".join(f"{literal(name)}: 'VARCHAR'" for name in header)
        nulls = ", ".join(literal(v) for v in adapter.null_values)
        read = (
            f"read_csv({path}, columns={{{columns}}}, header=true, auto_detect=false, delim={literal(info.delimiter)}, "
            f"quote='\"', escape='\"', nullstr=[{nulls}], null_padding=false, store_rejects=true, "
            f"rejects_table='_rejects_{load_id}_e', rejects_scan='_rejects_{load_id}_s', "
            f"max_line_size={MAX_LINE_BYTES}{_compression(info)})"
        )
        # Numbered after the checked rows are stored (_number_records): row_number() OVER () here would run
        # the whole read, typing and checking on one thread.
        source = f"(SELECT NULL::BIGINT AS _row_number, * FROM {read})"
        # Empty fields read as NULL print as "" so the field count of the raw line stays visible.
        fields = ", ".join(f"coalesce({quote(n)}, '\"\"')" for n in header)
        raw = f"concat_ws({literal(info.delimiter)}, {fields})"
        return source, raw
    if info.format == "jsonl":
        fields = ", ".join(
            f"{_nullify(f'json_extract_string(_json, {literal(_json_path(n))})', adapter.null_values)} AS {quote(n)}"
            for n in header
        )
        source = (
            f"(SELECT _line AS _row_number, _json, {fields} FROM {_jsonl_lines(info, f'_rejects_{load_id}')} "
            "WHERE json_valid(_json) AND starts_with(ltrim(_json), '{'))"
        )
        return source, "_json"
    fields = ", ".join(f"{_nullify(f'CAST({quote(n)} AS VARCHAR)', adapter.null_values)} AS {quote(n)}" for n in header)
    source = f"(SELECT file_row_number + 1 AS _row_number, {fields} FROM read_parquet({path}, file_row_number=true))"
    raw = f"CAST(json_object({', '.join(f'{literal(n)}, {quote(n)}' for n in header)}) AS VARCHAR)"
    return source, raw


def _json_path(key: str) -> str:
    return '$."' + key.replace('"', '\\"') + '"'


def _number_records(conn: duckdb.DuckDBPyConnection, checked: str) -> None:
    """_row_number = 1-based record number among the rows the reader produced, in file order.

    The checked temp table was filled in file order (parallel reader, insertion order kept), and a table's rows
    made in one transaction have consecutive row ids in that order. Malformed lines the reader skipped are
    counted back in by _renumber_after_rejects."""
    conn.execute(f"UPDATE {checked} SET _row_number = rowid - (SELECT min(rowid) FROM {checked}) + 1")


def _structural_rejects(conn: duckdb.DuckDBPyConnection, info: FileInfo, load_id: int, rejects: str) -> int:
    """Lines the reader could not split into the header's fields (CSV), or that are not JSON objects (JSONL).

    Collected into temp table `rejects` (line, good_before, raw_text, reason); returns how many lines.
    """
    errors = f"_rejects_{load_id}_e"
    # Per line the reader could not read, its first error (a line too long has no column) and the text it kept.
    unread = f"""SELECT line, arg_min(error_type, coalesce(column_idx, -1)) AS kind,
                        arg_min(error_message, coalesce(column_idx, -1)) AS message,
                        trim(any_value(csv_line), chr(13) || chr(10)) AS raw_text
                 FROM {errors} GROUP BY line"""
    if info.format == "csv":
        conn.execute(
            f"""CREATE TEMP TABLE {rejects} AS
                SELECT line, (line - 1) - row_number() OVER (ORDER BY line) AS good_before, raw_text,
                       {_reader_reason("kind", "message", "raw_text")} AS reason
                FROM ({unread})"""
        )
    elif info.format == "jsonl":
        if not _temp_exists(conn, errors):
            unread = "SELECT NULL::BIGINT AS line, NULL AS kind, NULL AS message, NULL AS raw_text WHERE false"
        # Lines are numbered as read, without the unread ones (see _jsonl_lines): a line that is not a JSON
        # object gets its physical number back from the unread lines before it.
        conn.execute(
            f"""CREATE TEMP TABLE {rejects} AS
                WITH unread AS (
                    SELECT line, line - row_number() OVER (ORDER BY line) AS good_before, raw_text,
                           {_reader_reason("kind", "message", "raw_text")} AS reason
                    FROM ({unread})
                ),
                not_objects AS (
                    SELECT _line AS ordinal, _json AS raw_text,
                           CASE WHEN json_valid(_json) THEN 'line is JSON but not an object'
                                ELSE 'line is not valid JSON (truncated or malformed)' END AS reason
                    FROM {_jsonl_lines(info)}
                    WHERE trim(coalesce(_json, '')) <> ''
                      AND NOT (json_valid(_json) AND starts_with(ltrim(_json), '{{'))
                )
                SELECT line, good_before, raw_text, reason FROM unread
                UNION ALL
                SELECT n.ordinal + (SELECT count(*) FROM unread AS u WHERE u.good_before < n.ordinal),
                       NULL::BIGINT, n.raw_text, n.reason
                FROM not_objects AS n"""
        )
    else:
        return 0
    bad_encoding = conn.execute(
        f"SELECT min(line) FROM {rejects} WHERE reason LIKE 'malformed line: invalid encoding%'"
    ).fetchone()[0]
    if bad_encoding is not None:
        raise FileRejected(
            info.path, f"unreadable encoding: not valid UTF-8 at line {bad_encoding}; re-export the file as UTF-8"
        )
    return int(conn.execute(f"SELECT count(*) FROM {rejects}").fetchone()[0])


def _reader_reason(kind: str, message: str, raw_text: str) -> str:
    """SQL: the quarantine reason for a line the CSV reader could not read (its error type and message)."""
    size = f"TRY_CAST(regexp_extract({message}, 'Actual Size:\\s*(\\d+)', 1) AS BIGINT)"
    # DuckDB keeps only the start of a line that is too long; say so rather than pass it off as the whole line.
    truncated = (
        f"CASE WHEN strlen({raw_text}) + 2 < {size} THEN '; raw_text holds only its first ' || length({raw_text}) "
        "|| ' characters' ELSE '' END"
    )
    return f"""CASE WHEN {kind} = 'LINE SIZE OVER MAXIMUM'
                THEN 'line too long: ' || coalesce(CAST({size} AS VARCHAR), 'more than {MAX_LINE_BYTES}')
                     || ' bytes, over the limit of {MAX_LINE_BYTES} bytes per line' || {truncated}
                ELSE 'malformed line: ' || lower(CAST({kind} AS VARCHAR)) || ' (' || {message} || ')' END"""


def _physical_lines(
    conn: duckdb.DuckDBPyConnection,
    info: FileInfo,
    header: tuple[str, ...],
    adapter: Adapter,
    load_id: int,
    rejects: str | None,
) -> str:
    """Temp table (record, line): the physical line each data record starts on, for files where quoted fields
    span lines. DuckDB's reader (and the default rule) number lines as record + 1.

    A second, read-only scan counts the line breaks inside each well-formed record (rejected records bring their
    own raw text); a record starts after the header, the records before it and their inner line breaks.
    Blank lines, which the reader skips, are not counted.
    """
    name = f"_lines_{load_id}"
    columns = ", ".join(f"{literal(n)}: 'VARCHAR'" for n in header)
    nulls = ", ".join(literal(v) for v in adapter.null_values)
    text = f"concat_ws('', {', '.join(quote(n) for n in header)})"
    conn.execute(
        f"""CREATE TEMP TABLE {name}_good AS
            SELECT row_number() OVER () AS k, length({text}) - length(replace({text}, chr(10), '')) AS nl
            FROM read_csv({literal(str(info.path))}, columns={{{columns}}}, header=true, auto_detect=false,
                          delim={literal(info.delimiter)}, quote='"', escape='"', nullstr=[{nulls}],
                          null_padding=false, ignore_errors=true, max_line_size={MAX_LINE_BYTES}
                          {_compression(info)})"""
    )
    records = f"SELECT k AS record, nl FROM {name}_good"
    if rejects:
        # Good record k sits after every reject with good_before < k (as in _renumber_after_rejects).
        records = f"""SELECT g.k + count(r.line) AS record, any_value(g.nl) AS nl
                      FROM {name}_good AS g LEFT JOIN {rejects} AS r ON r.good_before < g.k GROUP BY g.k
                      UNION ALL
                      SELECT line - 1, length(raw_text) - length(replace(raw_text, chr(10), '')) FROM {rejects}"""
    conn.execute(
        f"""CREATE TEMP TABLE {name} AS
            SELECT record, 1 + record + coalesce(sum(nl) OVER (ORDER BY record
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS line
            FROM ({records})"""
    )
    return name


def _renumber_after_rejects(conn: duckdb.DuckDBPyConnection, checked: str, rejects: str) -> None:
    """CSV good rows were numbered without the rejected lines; shift them back to their record numbers.

    good_before of the j-th rejected record = data records before it that were read fine, so a good row with
    ordinal k sits after every reject with good_before < k.
    """
    if conn.execute(f"SELECT count(*) FROM {rejects} WHERE good_before IS NOT NULL").fetchone()[0] == 0:
        return
    conn.execute(
        f"""UPDATE {checked} SET _row_number = {checked}._row_number + shift.n
            FROM (SELECT c._row_number AS k, count(r.line) AS n FROM {checked} AS c
                  JOIN {rejects} AS r ON r.good_before < c._row_number GROUP BY c._row_number) AS shift
            WHERE {checked}._row_number = shift.k"""
    )


def _temp_exists(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        conn.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]).fetchone()[0]
    )


def _drop_temp(conn: duckdb.DuckDBPyConnection, load_id: int) -> None:
    names = ("_checked", "_rejects", "_rejects_{}_e", "_rejects_{}_s", "_lines", "_lines_{}_good")
    for pattern in names:
        name = pattern.format(load_id) if "{}" in pattern else f"{pattern}_{load_id}"
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")


def _check_zone(conn: duckdb.DuckDBPyConnection, path: Path, zone: str, source: str) -> None:
    known = conn.execute("SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [zone]).fetchone()[0]
    if not known:
        raise FileRejected(path, f"unknown time zone {zone!r} configured for source {source!r}")


def _skip(conn: duckdb.DuckDBPyConnection, result: LoadResult, sha256: str, include_rejected: bool) -> bool:
    """Same bytes loaded before (or, for inbox runs, rejected before): report the earlier load, add nothing."""
    result.sha256 = sha256
    if not sha256:
        return False
    statuses = "('loaded', 'rejected')" if include_rejected else "('loaded')"
    row = conn.execute(
        f"""SELECT load_id, status FROM {RAW_SCHEMA}.{LOAD_LOG_TABLE}
            WHERE file_sha256 = ? AND status IN {statuses} ORDER BY load_id DESC LIMIT 1""",
        [sha256],
    ).fetchone()
    if row is None:
        return False
    result.status, result.load_id = "skipped_duplicate", int(row[0])
    result.error = f"same bytes already {row[1]} in load {row[0]}"
    return True


def _next_load_id(conn: duckdb.DuckDBPyConnection) -> int:
    return int(conn.execute(f"SELECT coalesce(max(load_id), 0) + 1 FROM {RAW_SCHEMA}.{LOAD_LOG_TABLE}").fetchone()[0])


def _log(conn: duckdb.DuckDBPyConnection, result: LoadResult, started_at: datetime, sha256: str) -> None:
    if result.load_id is None:
        result.load_id = _next_load_id(conn)
    conn.execute(
        f"INSERT INTO {RAW_SCHEMA}.{LOAD_LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.load_id,
            str(result.path.resolve()),
            sha256,
            result.adapter or None,
            result.status,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
            json.dumps(result.tables, sort_keys=True),
            result.error or None,
            started_at,
            datetime.now(UTC),
            result.exported_at or started_at,
        ],
    )


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
