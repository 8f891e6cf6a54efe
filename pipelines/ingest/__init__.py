"""Ingestion: export files -> DuckDB `raw` schema under the canonical contract.

Entry points (the Dagster asset, the sensor's job and `itsm ingest` all call these):
- `loader.ingest_files(conn, paths, settings, progress=None, exported_at=None, mapping=None) -> list[LoadResult]`
- `loader.ingest_inbox(conn, settings, progress=None)`: every file under settings.inbox_dir, in path order.

Modules: `files` (hash, encoding, format, header), `detect` (which adapter), one module per source
(`canonical`, `servicenow`, `jira`, `probes`), `mapping` (a user's YAML mapping file -> an Adapter; examples in
`mappings/`), `history` (tickets + events from ordered snapshots: ServiceNow event log, mapped event logs),
`sidecar` (a file's export instant and mapping), `adapter` (the mapping interface), `validate` (typing and row
checks as SQL), `schema` (DDL of the canonical contract, data_quality/contract.py).

Rules an analyst or auditor can rely on:
- One transaction per file. A file-level problem (unknown format, invalid UTF-8, empty file, missing required
  columns, a column name repeated in the header, unknown time zone, an archive or a compression other than gzip)
  rejects the whole file: nothing of it is kept, raw.load_log records status `rejected` and an error naming the
  file and, where it applies, the line and columns.
- Gzip files (`.csv.gz`, `.jsonl.gz`) are read as they are; their lineage is the SHA-256 of the compressed file.
  The inbox lists every file but hidden ones, so nothing there is skipped silently.
- A file whose SHA-256 was loaded before is skipped (`skipped_duplicate`), so loading twice adds nothing.
- Row-level problems (bad timestamp or number, missing required value, value outside the allowed set or range,
  wrong field count / truncated line, invalid JSON line, a line over loader.MAX_LINE_BYTES) go to raw.quarantine
  with file, line number, raw text (of an over-long line only the start, and the reason says so) and reason; the
  rest of the file loads.
- rows_read = rows_loaded + rows_quarantined, counted per source row. A ServiceNow event log feeds two tables
  from the same accepted snapshot rows; load_log.tables_loaded says how many rows each raw table received.
- Lineage on every raw row: _source_file, _file_sha256, _row_number (1-based data record in the file), _loaded_at,
  _load_id (monotonic; a corrected re-export lands as new rows with a higher _load_id and staging keeps the
  latest per key), _extra (source columns the contract does not know, as JSON).
- Naive timestamps are read in settings.timezone_for(adapter) (a mapping file may declare its own zone) and
  stored as UTC; stamps with an offset keep it.
- Every file has an export instant (--exported-at, else its sidecar `<file>.export.yml`, else the load's start),
  stored in raw.load_log.exported_at. A timestamp after it (plans such as planned_start excepted), before 1990,
  BC, read with a two-digit year or written with an offset beyond +-14:00 quarantines its row.
- Probe samples: see `probes` for how down runs become outages and how gaps are treated.
"""
