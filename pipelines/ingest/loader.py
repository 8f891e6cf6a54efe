"""Load export files into the `raw` schema: one transaction per file, rows typed and checked in DuckDB.

Per file: SHA-256 (a file already loaded is skipped), format and header, adapter, then one SQL pipeline:
source rows (all text) -> mapped to the contract -> typed and checked -> good rows to raw.<table> with lineage,
failing rows to raw.quarantine with line number, raw text and reason. A file-level problem rolls the whole file
back and is recorded in raw.load_log with status `rejected` and the error.

Two ways through: a file that maps onto one contract table is written to raw straight from the reader
(`_load_direct`, each row written once); an adapter that derives tables from the checked rows (ServiceNow event
log, probe samples) gets them in a temp table first (`_load_staged`).

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

from pipelines.ingest.adapter import Adapter, Derivation, Mapping, literal, quote
from pipelines.ingest.contract import LOAD_LOG_TABLE, QUARANTINE_TABLE, RAW_SCHEMA, TABLES
from pipelines.ingest.detect import detect_adapter
from pipelines.ingest.duplicates import move_repeated_rows, quarantine_repeated_rows
from pipelines.ingest.files import FileInfo, FileRejected, inspect_file
from pipelines.ingest.schema import ensure_raw_schema
from pipelines.ingest.validate import checked_select
from pipelines.settings import Settings

INBOX_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".jsonl", ".ndjson", ".json")
JSONL_DELIMITER = "\x1f"  # never present unescaped in valid JSON, so each line is one field
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
) -> list[LoadResult]:
    """Load each file in its own transaction. Never raises for a bad file: its result says `rejected`.

    skip_rejected: also skip files whose exact bytes were already rejected (the inbox sensor uses it so a bad file
    is not retried on every tick; an explicit `itsm ingest` retries, e.g. with another --adapter).
    """
    conn.execute("SET TimeZone = 'UTC'")
    ensure_raw_schema(conn)
    files = [Path(p) for p in paths]
    results = []
    # The next file is hashed in a thread while DuckDB loads this one (hashlib and DuckDB both release the GIL):
    # about 0.3 s per 300 MB file that would otherwise wait. A file changed in between loads as hashed before.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="itsm-hash") as hasher:
        upcoming = [hasher.submit(inspect_file, path) for path in files[:1]]
        for index, path in enumerate(files, start=1):
            inspected = upcoming.pop()
            if index < len(files):
                upcoming.append(hasher.submit(inspect_file, files[index]))
            if progress:
                progress(index, len(files), path, None)
            result = ingest_file(conn, path, settings, skip_rejected=skip_rejected, inspected=inspected)
            results.append(result)
            if progress:
                progress(index, len(files), path, result)
    return results


def inbox_files(inbox: Path) -> list[Path]:
    if not inbox.exists():
        return []
    return sorted(
        p for p in inbox.rglob("*") if p.is_file() and p.suffix.lower() in INBOX_SUFFIXES and not p.name.startswith(".")
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
) -> LoadResult:
    """Load one file in its own transaction. `inspected`: inspect_file(path) already running (ingest_files)."""
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
    optimizers = conn.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    conn.execute("BEGIN TRANSACTION")
    try:
        _load(conn, info, settings, result, started_at, optimizers)
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
        _set_disabled_optimizers(conn, optimizers)
        _drop_temp(conn, load_id)
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class _Job:
    """What every step of one file's load needs."""

    info: FileInfo
    header: tuple[str, ...]
    adapter: Adapter
    mapping: Mapping
    zone: str
    load_id: int
    at: datetime
    optimizers: str  # the connection's disabled_optimizers setting, to restore

    @property
    def rejects(self) -> str:  # temp table of structural rejects (see _structural_rejects)
        return f"_rejects_{self.load_id}"

    @property
    def loaded_at(self) -> str:
        return f"{literal(self.at.isoformat())}::TIMESTAMPTZ"


def _load(
    conn: duckdb.DuckDBPyConnection,
    info: FileInfo,
    settings: Settings,
    result: LoadResult,
    at: datetime,
    optimizers: str,
) -> None:
    header = _header(conn, info)
    adapter = detect_adapter(header, info.path, settings.adapter_override)
    mapping = adapter.mapping(header, info.path)
    result.adapter = f"{adapter.name}:{mapping.variant}" if mapping.variant else adapter.name
    result.target = mapping.target
    zone = settings.timezone_for(adapter.name)
    _check_zone(conn, info.path, zone, adapter.name)

    job = _Job(info, header, adapter, mapping, zone, result.load_id, at, optimizers)
    checked = f"_checked_{job.load_id}"
    derivation = adapter.derive(mapping, checked)
    if derivation is None:
        _load_direct(conn, job, result)
    else:
        _load_staged(conn, job, result, checked, derivation)
    result.rows_read = result.rows_loaded + result.rows_quarantined


def _load_direct(conn: duckdb.DuckDBPyConnection, job: _Job, result: LoadResult) -> None:
    """One contract table, nothing derived: good rows are typed, checked and written to raw.<table> in one pass
    from the reader, so each row is written once (not into a checked temp table and again into raw).

    Failing rows are found afterwards: when the rows written plus the reader's rejects account for every line of
    the file (the usual case), none failed; otherwise the record numbers the insert skipped are read again and
    checked into a small temp table. Measured on 5M clean event rows: about 20% fewer CPU seconds than the
    staged load."""
    info, table, load_id = job.info, job.mapping.table, job.load_id
    target, mine = f"{RAW_SCHEMA}.{table.name}", f"_load_id = {load_id}"
    source, raw_text = _source_sql(info, job.header, job.adapter, job.rejects)
    columns = ", ".join(quote(c) for c in table.column_names)
    lineage = _lineage(job)
    # Filter pushdown would move `_reason IS NULL` below the typing projection and so cast every value twice
    # (measured: 20% more CPU on this statement). Off for this statement only; ingest_file restores the setting
    # if the statement fails (an aborted transaction refuses SET until ROLLBACK).
    _set_disabled_optimizers(conn, ",".join(filter(None, (job.optimizers, "filter_pushdown"))))
    inserted = conn.execute(
        f"""INSERT INTO {target} ({columns}, {", ".join(lineage)})
            SELECT {columns}, {", ".join(lineage.values())}
            FROM ({checked_select(job.mapping, source, raw_text, job.zone, row_hash=False)}) AS checked
            WHERE _reason IS NULL"""
    ).fetchone()[0]
    _set_disabled_optimizers(conn, job.optimizers)
    structural = _structural_rejects(conn, info, load_id, job.rejects)
    failed = f"_failed_{load_id}"  # (_row_number, _reason, _raw) of every row that goes to quarantine
    failing = _collect_failed(conn, job, target, int(inserted), structural, failed)
    lines = _lines_if_needed(conn, job, int(inserted) + failing + structural, structural)
    if structural:
        _renumber_after_rejects(conn, target, job.rejects, mine)
        _renumber_after_rejects(conn, failed, job.rejects)
    repeats = move_repeated_rows(conn, target, table, load_id, failed) if job.mapping.one_row_per_record else 0

    rows = f"SELECT _row_number, _reason, _raw FROM {failed}"
    conn.execute(f"INSERT INTO {RAW_SCHEMA}.{QUARANTINE_TABLE} {_quarantine_select(job, rows, lines)}")
    _quarantine_structural(conn, job, structural, lines)
    result.rows_loaded = result.tables[table.name] = int(inserted) - repeats
    result.rows_quarantined = failing + repeats + structural


def _collect_failed(
    conn: duckdb.DuckDBPyConnection, job: _Job, target: str, inserted: int, structural: int, failed: str
) -> int:
    """Create temp table `failed` with the rows the direct insert left out for failing a check; return how many.

    Records are numbered by the reader (CSV: rows it could split; JSON lines: physical lines), so the ones left
    out are the gaps between the numbers written and everything after the last one. A second read of the same
    file numbers records the same way; only those numbers are checked again."""
    conn.execute(f"CREATE TEMP TABLE {failed} (_row_number BIGINT, _reason VARCHAR, _raw VARCHAR)")
    bound = _record_bound(conn, job.info)
    if bound is not None and inserted + structural == bound:
        return 0  # every line is a written row or a reader reject: nothing failed a check
    mine = f"_load_id = {job.load_id}"
    gaps = f"_gaps_{job.load_id}"
    conn.execute(
        f"""CREATE TEMP TABLE {gaps} AS
            SELECT previous + 1 AS lo, _row_number - 1 AS hi FROM (
                SELECT _row_number, lag(_row_number, 1, 0) OVER (ORDER BY _row_number) AS previous
                FROM {target} WHERE {mine})
            WHERE _row_number > previous + 1
            UNION ALL
            SELECT coalesce(max(_row_number), 0) + 1, {2**63 - 1} FROM {target} WHERE {mine}"""
    )
    source, raw_text = _source_sql(job.info, job.header, job.adapter, f"_recheck_{job.load_id}")
    skipped = f"(SELECT s.* FROM {source} AS s JOIN {gaps} AS g ON s._row_number BETWEEN g.lo AND g.hi)"
    checked = checked_select(job.mapping, skipped, raw_text, job.zone, row_hash=False)
    conn.execute(f"INSERT INTO {failed} SELECT _row_number, _reason, _raw FROM ({checked}) AS c ORDER BY _row_number")
    passing = conn.execute(f"SELECT count(*) FILTER (WHERE _reason IS NULL), count(*) FROM {failed}").fetchone()
    if passing[0]:
        # The insert skipped a row that passes now: the two reads disagree. Never drop it silently.
        raise RuntimeError(f"{job.info.path.name}: {passing[0]} row(s) read differently on the second read")
    return int(passing[1])


def _record_bound(conn: duckdb.DuckDBPyConnection, info: FileInfo) -> int | None:
    """At least the number of records plus reader rejects the file can yield, or None when unknown.

    A record or a rejected line takes at least one line (CSV: after the header), as long as no lone carriage
    return can end one; Parquet states its row count."""
    if info.format == "parquet":
        return int(conn.execute(f"SELECT count(*) FROM read_parquet({literal(str(info.path))})").fetchone()[0])
    if info.lone_cr or not info.lines:
        return None
    return info.lines - LINE_OFFSET[info.format]


def _load_staged(
    conn: duckdb.DuckDBPyConnection, job: _Job, result: LoadResult, checked: str, derivation: Derivation
) -> None:
    """Adapters that derive tables (an event log feeds tickets and ticket_events): checked rows go to a temp
    table first, the derivations read it, failing rows go from it to quarantine."""
    info, mapping = job.info, job.mapping
    source, raw_text = _source_sql(info, job.header, job.adapter, job.rejects)
    conn.execute(f"CREATE TEMP TABLE {checked} AS {checked_select(mapping, source, raw_text, job.zone)}")
    structural = _structural_rejects(conn, info, job.load_id, job.rejects)
    records = conn.execute(f"SELECT count(*) FROM {checked}").fetchone()[0] + structural
    lines = _lines_if_needed(conn, job, records, structural)
    if structural:
        _renumber_after_rejects(conn, checked, job.rejects)
    if mapping.one_row_per_record:
        quarantine_repeated_rows(conn, checked, mapping.table)

    lineage = _lineage(job)
    for table_name, select in derivation.selects.items():
        columns = TABLES[table_name].column_names
        target = ", ".join(quote(c) for c in columns)
        written = conn.execute(
            f"INSERT INTO {RAW_SCHEMA}.{table_name} ({target}, {', '.join(lineage)}) "
            f"SELECT {target}, {', '.join(lineage.values())} FROM ({select}) AS derived"
        ).fetchone()[0]
        result.tables[table_name] = int(written)

    failing = f"SELECT _row_number, _reason, _raw FROM {checked} WHERE _reason IS NOT NULL"
    conn.execute(f"INSERT INTO {RAW_SCHEMA}.{QUARANTINE_TABLE} {_quarantine_select(job, failing, lines)}")
    _quarantine_structural(conn, job, structural, lines)
    good, bad = conn.execute(
        f"SELECT count(*) FILTER (WHERE _reason IS NULL), count(*) FILTER (WHERE _reason IS NOT NULL) FROM {checked}"
    ).fetchone()
    result.rows_loaded = int(good)
    result.rows_quarantined = int(bad) + structural


def _lineage(job: _Job) -> dict[str, str]:
    """Lineage column -> SQL expression over checked rows (which carry _row_number and _extra)."""
    return {
        "_source_file": literal(str(job.info.path.resolve())),
        "_file_sha256": literal(job.info.sha256),
        "_row_number": "_row_number",
        "_loaded_at": job.loaded_at,
        "_load_id": str(job.load_id),
        "_extra": "_extra",
    }


def _lines_if_needed(conn: duckdb.DuckDBPyConnection, job: _Job, records: int, structural: int) -> str | None:
    """Temp table of physical lines when some quoted CSV field spans lines (record and line numbers part ways);
    None when every record is one line (line = record + 1)."""
    if job.info.format != "csv" or job.info.lines == 1 + records:
        return None
    return _physical_lines(conn, job.info, job.header, job.adapter, job.load_id, job.rejects if structural else None)


def _quarantine_common(job: _Job) -> str:
    info = job.info
    return f"{literal(str(info.path.resolve()))}, {literal(info.sha256)}, {job.load_id}, {literal(job.mapping.target)}"


def _quarantine_select(job: _Job, failing: str, lines: str | None) -> str:
    """Quarantine rows (in record order) for `failing` = SELECT _row_number, _reason, _raw."""
    line = f"c._row_number + {LINE_OFFSET[job.info.format]}"
    join = ""
    if lines:
        line, join = f"coalesce(l.line, {line})", f"LEFT JOIN {lines} AS l ON l.record = c._row_number"
    return (
        f"SELECT {_quarantine_common(job)}, {line}, c._raw, c._reason, {job.loaded_at} "
        f"FROM ({failing}) AS c {join} ORDER BY c._row_number"
    )


def _quarantine_structural(conn: duckdb.DuckDBPyConnection, job: _Job, structural: int, lines: str | None) -> None:
    """Lines the reader could not split (CSV) or that are not JSON objects (JSONL), after the checked rows."""
    if not structural:
        return
    line, join = "r.line", ""
    if lines:
        line, join = "coalesce(l.line, r.line)", f"LEFT JOIN {lines} AS l ON l.record = r.line - 1"
    conn.execute(
        f"INSERT INTO {RAW_SCHEMA}.{QUARANTINE_TABLE} SELECT {_quarantine_common(job)}, {line}, raw_text, reason, "
        f"{job.loaded_at} FROM {job.rejects} AS r {join} ORDER BY r.line"
    )


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


def _jsonl_lines(info: FileInfo, rejects: str | None = None) -> str:
    store = f", store_rejects=true, rejects_table='{rejects}_e', rejects_scan='{rejects}_s'" if rejects else ""
    return f"""(SELECT row_number() OVER () AS _line, _json FROM read_csv({literal(str(info.path))},
            columns={{'_json': 'VARCHAR'}}, delim={literal(JSONL_DELIMITER)}, quote='', escape='', header=false,
            auto_detect=false, null_padding=false{store}))"""


def _nullify(expr: str, null_values: tuple[str, ...]) -> str:
    values = ", ".join(literal(v) for v in null_values)
    return f"CASE WHEN trim({expr}) IN ({values}) THEN NULL ELSE {expr} END"


def _source_sql(info: FileInfo, header: tuple[str, ...], adapter: Adapter, rejects: str) -> tuple[str, str]:
    """FROM-clause relation of all-text source columns + _row_number, and the raw-text expression.

    The reader stores lines it cannot read in temp tables `<rejects>_e` / `<rejects>_s` and skips them."""
    path = literal(str(info.path))
    if info.format == "csv":
        columns = ", ".join(f"{literal(name)}: 'VARCHAR'" for name in header)
        nulls = ", ".join(literal(v) for v in adapter.null_values)
        read = (
            f"read_csv({path}, columns={{{columns}}}, header=true, auto_detect=false, delim={literal(info.delimiter)}, "
            f"quote='\"', escape='\"', nullstr=[{nulls}], null_padding=false, store_rejects=true, "
            f"rejects_table='{rejects}_e', rejects_scan='{rejects}_s', max_line_size=10000000)"
        )
        source = f"(SELECT row_number() OVER () AS _row_number, * FROM {read})"
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
            f"(SELECT _line AS _row_number, _json, {fields} FROM {_jsonl_lines(info, rejects)} "
            "WHERE json_valid(_json) AND starts_with(ltrim(_json), '{'))"
        )
        return source, "_json"
    fields = ", ".join(f"{_nullify(f'CAST({quote(n)} AS VARCHAR)', adapter.null_values)} AS {quote(n)}" for n in header)
    source = f"(SELECT file_row_number + 1 AS _row_number, {fields} FROM read_parquet({path}, file_row_number=true))"
    raw = f"CAST(json_object({', '.join(f'{literal(n)}, {quote(n)}' for n in header)}) AS VARCHAR)"
    return source, raw


def _json_path(key: str) -> str:
    return '$."' + key.replace('"', '\\"') + '"'


def _structural_rejects(conn: duckdb.DuckDBPyConnection, info: FileInfo, load_id: int, rejects: str) -> int:
    """Lines the reader could not split into the header's fields (CSV), or that are not JSON objects (JSONL).

    Collected into temp table `rejects` (line, good_before, raw_text, reason); returns how many lines.
    """
    errors = f"_rejects_{load_id}_e"
    if info.format == "csv":
        conn.execute(
            f"""CREATE TEMP TABLE {rejects} AS
                SELECT line, (line - 1) - row_number() OVER (ORDER BY line) AS good_before,
                       trim(any_value(csv_line), chr(13) || chr(10)) AS raw_text,
                       'malformed line: ' || lower(CAST(arg_min(error_type, column_idx) AS VARCHAR)) || ' ('
                           || arg_min(error_message, column_idx) || ')' AS reason
                FROM {errors} GROUP BY line"""
        )
    elif info.format == "jsonl":
        has_errors = _temp_exists(conn, errors)
        structural = (
            f"UNION ALL SELECT line, trim(csv_line, chr(13) || chr(10)), 'malformed line: ' "
            f"|| lower(CAST(error_type AS VARCHAR)) || ' (' || error_message || ')' "
            f"FROM {errors}"
            if has_errors
            else ""
        )
        conn.execute(
            f"""CREATE TEMP TABLE {rejects} AS
                SELECT line, NULL::BIGINT AS good_before, raw_text, reason FROM (
                    SELECT _line AS line, _json AS raw_text,
                           CASE WHEN json_valid(_json) THEN 'line is JSON but not an object'
                                ELSE 'line is not valid JSON (truncated or malformed)' END AS reason
                    FROM {_jsonl_lines(info)}
                    WHERE trim(coalesce(_json, '')) <> ''
                      AND NOT (json_valid(_json) AND starts_with(ltrim(_json), '{{'))
                    {structural})"""
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
                          null_padding=false, ignore_errors=true, max_line_size=10000000)"""
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


def _renumber_after_rejects(conn: duckdb.DuckDBPyConnection, relation: str, rejects: str, rows: str = "true") -> None:
    """CSV rows were numbered without the rejected lines; shift them back to their record numbers.

    `rows`: condition selecting this load's rows in `relation` (a raw table holds earlier loads too).
    good_before of the j-th rejected record = data records before it that were read fine, so a row with
    ordinal k sits after every reject with good_before < k.
    """
    if conn.execute(f"SELECT count(*) FROM {rejects} WHERE good_before IS NOT NULL").fetchone()[0] == 0:
        return
    conn.execute(
        f"""UPDATE {relation} SET _row_number = {relation}._row_number + shift.n
            FROM (SELECT c._row_number AS k, count(r.line) AS n FROM {relation} AS c
                  JOIN {rejects} AS r ON r.good_before < c._row_number WHERE {rows} GROUP BY c._row_number) AS shift
            WHERE {relation}._row_number = shift.k AND {rows}"""
    )


def _set_disabled_optimizers(conn: duckdb.DuckDBPyConnection, names: str) -> None:
    conn.execute(f"SET disabled_optimizers = {literal(names)}")


def _temp_exists(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        conn.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]).fetchone()[0]
    )


def _drop_temp(conn: duckdb.DuckDBPyConnection, load_id: int) -> None:
    names = (
        "_checked",
        "_rejects",
        "_rejects_{}_e",
        "_rejects_{}_s",
        "_recheck_{}_e",
        "_recheck_{}_s",
        "_failed",
        "_gaps",
        "_repeats",
        "_lines",
        "_lines_{}_good",
    )
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
        f"INSERT INTO {RAW_SCHEMA}.{LOAD_LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        ],
    )


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
