"""The closing summary of `itsm run`, `itsm ingest` and `itsm check`: what was loaded, skipped, rejected and
quarantined, which checks failed (by severity, with their names), which headline KPIs moved most since the last
run, and where the outputs are.

Everything here reads the warehouse or results already in hand; nothing imports Dagster, so the commands that only
ingest or check stay light. The lines are plain text: the same on a terminal, in cron mail and in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from data_quality.unclassified import unclassified_summary


def unclassified_block(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The run summary's block on unclassified tickets: a heading and one indented line per reason."""
    lines = unclassified_summary(conn)
    if not lines:
        return []
    return [
        "Could not classify (counted, not dropped; also in the report's data-quality section):",
        *(f"  {line}" for line in lines),
    ]


# Extra lines for the run summary: each provider gets a read-only connection to the warehouse after the run and
# returns lines to print (none when it has nothing to say). Register with `SUMMARY_LINE_PROVIDERS.append(f)`;
# a provider that raises a duckdb.Error (e.g. its mart is not built yet) is skipped with a note.
SummaryLineProvider = Callable[[duckdb.DuckDBPyConnection], list[str]]
SUMMARY_LINE_PROVIDERS: list[SummaryLineProvider] = [unclassified_block]

# Failed check names listed per severity before "... and N more".
MAX_CHECK_NAMES = 10
# Headline KPI values listed under "moved most".
MAX_KPI_MOVES = 5


@dataclass(frozen=True)
class LoadCounts:
    """Files of one ingest (or of the loads a run added), by outcome."""

    loaded: int = 0
    skipped: int = 0
    rejected: int = 0
    rows_quarantined: int = 0
    rejected_files: tuple[tuple[str, str], ...] = ()  # (file name, error)

    @property
    def files(self) -> int:
        return self.loaded + self.skipped + self.rejected


def load_counts(results: Iterable) -> LoadCounts:
    """From the loader's LoadResult list (status loaded | skipped_duplicate | rejected)."""
    results = list(results)
    return LoadCounts(
        loaded=sum(r.status == "loaded" for r in results),
        skipped=sum(r.status == "skipped_duplicate" for r in results),
        rejected=sum(r.status == "rejected" for r in results),
        rows_quarantined=sum(r.rows_quarantined or 0 for r in results),
        rejected_files=tuple((Path(r.path).name, r.error) for r in results if r.status == "rejected"),
    )


def last_load_id(conn: duckdb.DuckDBPyConnection) -> int:
    """Highest load_id in raw.load_log (0 when nothing was ever loaded)."""
    if not _table_exists(conn, "raw", "load_log"):
        return 0
    return int(conn.execute("select coalesce(max(load_id), 0) from raw.load_log").fetchone()[0])


def loads_after(conn: duckdb.DuckDBPyConnection, load_id: int, files_seen: int = 0) -> LoadCounts:
    """The files raw.load_log recorded after `load_id`: what a run just ingested out of the `files_seen` files
    in the inbox. A file whose bytes were loaded (or rejected) before is skipped without a load_log row, so the
    skipped ones are those seen but not logged."""
    if not _table_exists(conn, "raw", "load_log"):
        return LoadCounts(skipped=files_seen)
    rows = conn.execute(
        """select status, coalesce(rows_quarantined, 0), source_file, coalesce(error, '')
           from raw.load_log where load_id > ? order by load_id""",
        [load_id],
    ).fetchall()
    loaded = sum(status == "loaded" for status, *_ in rows)
    rejected = sum(status == "rejected" for status, *_ in rows)
    return LoadCounts(
        loaded=loaded,
        skipped=max(0, files_seen - loaded - rejected),
        rejected=rejected,
        rows_quarantined=sum(quarantined for _, quarantined, *_ in rows),
        rejected_files=tuple((Path(src).name, err) for status, _, src, err in rows if status == "rejected"),
    )


def load_lines(counts: LoadCounts) -> list[str]:
    lines = [
        f"files: {counts.loaded} loaded, {counts.skipped} skipped (already loaded), {counts.rejected} rejected",
        f"rows quarantined: {counts.rows_quarantined:,}"
        + (" (reasons in raw.quarantine; `itsm status` lists the loads)" if counts.rows_quarantined else ""),
    ]
    lines += [f"  rejected {name}: {error}" for name, error in counts.rejected_files]
    return lines


# --- checks ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    total: int
    failed: dict[str, list[str]]  # severity -> names of the checks that failed or errored
    not_applicable: int = 0  # nothing to check yet (e.g. too few loads for a volume band): not verified


def check_outcome(results: Iterable) -> CheckOutcome:
    """From CheckResult objects (`itsm check`)."""
    results = list(results)
    failed: dict[str, list[str]] = {}
    for r in results:
        if str(r.status) in ("failed", "error"):
            failed.setdefault(str(r.severity), []).append(r.check_name)
    not_applicable = sum(str(r.status) == "not_applicable" for r in results)
    return CheckOutcome(len(results), {s: sorted(names) for s, names in failed.items()}, not_applicable)


def check_outcome_of_run(conn: duckdb.DuckDBPyConnection, run_id: str) -> CheckOutcome | None:
    """What dq.check_results recorded for this run id: the data-quality asset checks and the dbt tests of the
    run's build (None when the table does not exist: no check ever ran)."""
    if not _table_exists(conn, "dq", "check_results"):
        return None
    rows = conn.execute(
        "select severity, check_name, status from dq.check_results where run_id = ? order by severity, check_name",
        [run_id],
    ).fetchall()
    failed: dict[str, list[str]] = {}
    for severity, name, status in rows:
        if status in ("failed", "error") and name not in failed.get(severity, []):
            failed.setdefault(severity, []).append(name)
    return CheckOutcome(len(rows), failed, sum(status == "not_applicable" for *_, status in rows))


def check_lines(outcome: CheckOutcome | None) -> list[str]:
    """Blocking failures are "failed" (they stop extracts and make the exit code 1); warnings are counted apart, so
    a seeded defect shown as a warning never reads as a failed run."""
    if outcome is None:
        return ["checks: none recorded (dq.check_results does not exist)"]
    failed = outcome.failed
    blocking = len(failed.get("blocking", []))
    warnings = sum(len(names) for severity, names in failed.items() if severity != "blocking")
    unverified = f"; {outcome.not_applicable} not applicable yet" if outcome.not_applicable else ""
    warned = f", {warnings} warning{'' if warnings == 1 else 's'}" if warnings else ""
    lines = [f"checks: {blocking or 'none'} of {outcome.total} failed{warned}{unverified}"]
    for severity in sorted(failed, key=lambda s: (s != "blocking", s)):  # blocking first
        names = list(failed[severity])
        shown = ", ".join(names[:MAX_CHECK_NAMES])
        more = f" and {len(names) - MAX_CHECK_NAMES} more" if len(names) > MAX_CHECK_NAMES else ""
        lines.append(f"  {severity}: {shown}{more}")
    return lines


# --- KPIs -----------------------------------------------------------------------------------------------------

KpiKey = tuple[str, str, date]  # kpi, service, month


@dataclass(frozen=True)
class KpiScale:
    unit: str
    amber_margin: float | None  # the distance that moves a KPI one RAG band: the yardstick for "moved most"


@dataclass(frozen=True)
class KpiMove:
    kpi: str
    service: str
    month: date
    before: float
    after: float
    unit: str
    bands: float | None  # |after - before| in amber margins

    @property
    def delta(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class KpiComparison:
    compared: int  # values present before and after
    changed: int
    added: int  # values new in this run (a new month or service)
    moves: list[KpiMove] = field(default_factory=list)  # largest first


# The headline KPIs (those with a target) per service and month, from the long KPI table.
HEADLINE_KPIS_SQL = """
select l.kpi, substr(l.dimension_key, length('service=') + 1) as service, l.period_month, l.kpi_value
from marts.kpi_monthly_long as l
where l.source_mart = 'kpi_service_monthly'
  and l.dimension_key like 'service=%'
  and l.kpi in (select kpi from reference.kpi_targets)
"""

# Default (service '*') unit and amber margin per KPI.
KPI_SCALES_SQL = "select kpi, unit, amber_margin from reference.kpi_targets where service = '*'"


def headline_kpis(conn: duckdb.DuckDBPyConnection) -> dict[KpiKey, float | None] | None:
    """(kpi, service, month) -> value, or None when the marts are not built yet."""
    if not (_table_exists(conn, "marts", "kpi_monthly_long") and _table_exists(conn, "reference", "kpi_targets")):
        return None
    return {(kpi, service, month): value for kpi, service, month, value in conn.execute(HEADLINE_KPIS_SQL).fetchall()}


def kpi_scales(conn: duckdb.DuckDBPyConnection) -> dict[str, KpiScale]:
    if not _table_exists(conn, "reference", "kpi_targets"):
        return {}
    return {kpi: KpiScale(unit or "", margin) for kpi, unit, margin in conn.execute(KPI_SCALES_SQL).fetchall()}


def compare_kpis(
    before: Mapping[KpiKey, float | None],
    after: Mapping[KpiKey, float | None],
    scales: Mapping[str, KpiScale],
    limit: int = MAX_KPI_MOVES,
) -> KpiComparison:
    """Values present (not null) before and after, ranked by how far they moved in amber margins (KPIs without a
    margin: relative to the earlier value), largest first."""
    moves: list[KpiMove] = []
    compared = changed = added = 0
    for key, new in after.items():
        old = before.get(key)
        if new is None:
            continue
        if old is None:
            added += 1
            continue
        compared += 1
        if abs(new - old) < 1e-9:
            continue
        changed += 1
        kpi, service, month = key
        scale = scales.get(kpi, KpiScale("", None))
        bands = abs(new - old) / scale.amber_margin if scale.amber_margin else None
        moves.append(KpiMove(kpi, service, month, old, new, scale.unit, bands))

    def size(move: KpiMove) -> tuple[float, float]:
        relative = abs(move.delta) / max(abs(move.before), 1e-9)
        return (move.bands if move.bands is not None else relative, relative)

    moves.sort(key=size, reverse=True)
    return KpiComparison(compared, changed, added, moves[:limit])


def kpi_lines(comparison: KpiComparison | None) -> list[str]:
    if comparison is None:
        return ["KPIs: first build, no earlier values to compare"]
    head = (
        f"KPIs since the last run: {comparison.changed} of {comparison.compared} headline values changed, "
        f"{comparison.added} new (new months or services)"
    )
    if not comparison.moves:
        return [head]
    lines = [head + "; moved most:"]
    for m in comparison.moves:
        unit = f" {m.unit}" if m.unit and m.unit != "%" else m.unit
        bands = f", {m.bands:.1f} amber margins" if m.bands is not None else ""
        lines.append(
            f"  {m.kpi} {m.service} {m.month:%Y-%m}: {m.before:,.2f} -> {m.after:,.2f}{unit} ({m.delta:+,.2f}{bands})"
        )
    return lines


# --- outputs and providers ------------------------------------------------------------------------------------


def output_lines(outputs: Mapping[str, Path]) -> list[str]:
    width = max((len(label) for label in outputs), default=0) + 1
    lines = ["outputs:"]
    for label, path in outputs.items():
        lines.append(f"  {label + ':':{width}} {path}{'' if path.exists() else '  (not written)'}")
    return lines


def provider_lines(
    conn: duckdb.DuckDBPyConnection, providers: Iterable[SummaryLineProvider] | None = None
) -> list[str]:
    lines: list[str] = []
    for provider in SUMMARY_LINE_PROVIDERS if providers is None else providers:
        try:
            lines += provider(conn)
        except duckdb.Error as err:
            name = getattr(provider, "__name__", "summary provider")
            lines.append(f"({name} not available: {str(err).splitlines()[0]})")
    return lines


@dataclass(frozen=True)
class BeforeRun:
    """What the warehouse held before a run, to compare against afterwards."""

    last_load_id: int = 0
    kpis: dict[KpiKey, float | None] | None = None


def before_run(warehouse: Path) -> BeforeRun:
    """Read before a run starts (read-only, closed again before the run opens the file for writing)."""
    if not warehouse.exists():
        return BeforeRun()
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return BeforeRun(last_load_id(conn), headline_kpis(conn))
    finally:
        conn.close()


def run_summary_lines(
    warehouse: Path,
    run_id: str,
    before: BeforeRun,
    outputs: Mapping[str, Path],
    files_seen: int = 0,
    providers: Iterable[SummaryLineProvider] | None = None,
) -> list[str]:
    """Everything the run summary says, read from the warehouse after the run."""
    if not warehouse.exists():
        return ["no warehouse was written", *output_lines(outputs)]
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        after = headline_kpis(conn)
        comparison = None
        if before.kpis is not None and after is not None:
            comparison = compare_kpis(before.kpis, after, kpi_scales(conn))
        lines = [
            *load_lines(loads_after(conn, before.last_load_id, files_seen)),
            *check_lines(check_outcome_of_run(conn, run_id)),
            *kpi_lines(comparison),
            *provider_lines(conn, providers),
        ]
    finally:
        conn.close()
    return [*lines, *output_lines(outputs)]


def _table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, table]
        ).fetchone()[0]
        or conn.execute(
            "select count(*) from duckdb_views() where schema_name = ? and view_name = ?", [schema, table]
        ).fetchone()[0]
    )
