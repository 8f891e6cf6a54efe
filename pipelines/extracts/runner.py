"""Run one extract: validate, read (read-only), apply privacy, write files + manifest atomically.

Nothing partial is ever left at `--out`: files are written into a hidden sibling folder that is renamed into place
only after the manifest is written; any failure removes it. Where an extract may go, and what `--overwrite` may
replace, is `destination`'s concern.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipelines.extracts.connection import first_row, read_only, relation_exists
from pipelines.extracts.destination import (
    Protected,
    check_destination,
    discard,
    move_into_place,
    new_staging,
    protected_folders,
)
from pipelines.extracts.manifest import new_manifest, run_ids, write_manifest
from pipelines.extracts.privacy import apply_privacy, check_key, key_fingerprint
from pipelines.extracts.registry import get_kind
from pipelines.extracts.request import ExtractError, ExtractRequest
from pipelines.extracts.spec import Dataset, ExtractKind, bind
from pipelines.extracts.writer import write_dataset


@dataclass(frozen=True)
class ExtractResult:
    out_dir: Path
    manifest: dict[str, object]
    manifest_sha256: str
    rows: dict[str, int]


def query_dataset(conn, dataset: Dataset, params: dict[str, object]) -> pa.Table:
    sql = f"select * from (\n{dataset.sql}\n) as extract_rows order by all"
    return conn.sql(sql, params=bind(sql, params)).to_arrow_table()


# Kinds that report on the checks and the loads themselves: useful evidence precisely when a check failed.
CHECK_EVIDENCE_KINDS = ("data-quality", "lineage")


def refuse_on_blocking_failures(conn) -> None:
    """Numbers must come from a complete, passed check run (the data-quality gate): a blocking check failed or
    errored, a check step that never finished, or no check run at all are refusals (data_quality/run_steps.py)."""
    from data_quality.run_steps import publish_problem

    problem = publish_problem(conn)
    if problem:
        raise ExtractError(
            f"{problem}. Its numbers must not be published: see `itsm check`, fix the data and `itsm run` again, "
            "or pass --allow-failed-checks to extract anyway (the manifest records it); nothing written"
        )


def check_ready(conn, kind: ExtractKind, request: ExtractRequest) -> None:
    """Refuse clearly when marts are missing or the period has no data at all."""
    missing = [rel for rel in kind.requires if not relation_exists(conn, rel)]
    if missing:
        raise ExtractError(
            f"extract {kind.name!r} needs {', '.join(missing)}, which the warehouse does not have yet: "
            "run `itsm run` (or `make demo`) first; nothing written"
        )
    if kind.name not in CHECK_EVIDENCE_KINDS and not request.allow_failed_checks:
        refuse_on_blocking_failures(conn)
    row = first_row(conn, kind.coverage_sql, bind(kind.coverage_sql, request.params()))
    if not row or not row[0]:
        scope = f" for service {request.service!r}" if request.service else ""
        raise ExtractError(
            f"no data for {kind.name} between {request.date_from} and {request.date_to}{scope}: "
            "the warehouse has no source records in that period; nothing written"
        )


def materialize(
    out_dir: Path,
    request: dict[str, object],
    tables: list[tuple[Dataset, pa.Table]],
    runs: dict[str, object],
    key: str | None,
    include_comments: bool,
    protected: Protected,
    overwrite: bool = False,
) -> ExtractResult:
    """Apply privacy, write every dataset and the manifest into a hidden folder, then move it to `out_dir`."""
    destination = check_destination(out_dir, overwrite, protected)
    staging = new_staging(destination)
    try:
        files, datasets = [], []
        for dataset, raw_table in tables:
            table, privacy_done = apply_privacy(raw_table, key, include_comments)
            written, escaped = write_dataset(table, staging, dataset.name)
            files += [f.as_manifest_entry() for f in written]
            datasets.append(
                {
                    "name": dataset.name,
                    "description": dataset.description,
                    "rows": table.num_rows,
                    "csv_cells_escaped": escaped,
                    "columns": [{"name": f.name, "type": str(f.type)} for f in table.schema],
                    **privacy_done,
                }
            )
        privacy = {
            "person_fields": "hmac-sha256" if key else "clear",
            "pseudonym_key_fingerprint": key_fingerprint(key) if key else None,
            "free_text": "included" if include_comments else "excluded",
        }
        manifest = new_manifest(request, files, datasets, runs, privacy)
        manifest_sha = write_manifest(staging, manifest)
        move_into_place(staging, destination)
    except BaseException:
        discard(staging)
        raise
    return ExtractResult(destination.path, manifest, manifest_sha, {d["name"]: d["rows"] for d in datasets})


def run_extract(
    request: ExtractRequest,
    out_dir: Path,
    warehouse: Path,
    pseudonym_key: str | None,
    overwrite: bool = False,
    dagster_run_id: str | None = None,
    inbox: Path | None = None,
) -> ExtractResult:
    """Validate, read the warehouse read-only, and write the extract. Raises ExtractError with a clear message.

    `inbox`: the inbox folder, never written into (an extract there would be ingested).
    """
    kind = get_kind(request.kind)
    protected = protected_folders(warehouse, inbox)
    check_destination(out_dir, overwrite, protected)  # refuse before reading anything; checked again when writing
    if request.pseudonymize:
        check_key(pseudonym_key)
    with read_only(warehouse) as conn:
        check_ready(conn, kind, request)
        params = request.params()
        tables = [(dataset, query_dataset(conn, dataset, params)) for dataset in kind.datasets(request)]
        runs = run_ids(conn, dagster_run_id)
    return materialize(
        out_dir,
        {**request.describe(), "warehouse": str(warehouse)},
        tables,
        runs,
        pseudonym_key if request.pseudonymize else None,
        request.include_comments,
        protected,
        overwrite,
    )
