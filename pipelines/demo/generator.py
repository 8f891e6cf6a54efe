"""`generate_demo_data`: twelve months of deterministic demo exports, written to a folder the pipeline ingests.

Every export gets a sidecar `<file>.export.yml` saying it was exported at the window's end (WINDOW_END).
Same seed -> byte-identical files: every random draw comes from a seeded numpy generator, the window is fixed,
and nothing depends on the clock, the machine or dict/set iteration order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from data_quality.contract import TICKET_EVENTS
from pipelines.demo.changes import contract_changes, generate_changes, link_caused_incidents
from pipelines.demo.defects import Defect, damage_changes, damage_tickets, truncate_last_line
from pipelines.demo.outages import contract_outages, generate_outages
from pipelines.demo.reference import load_reference
from pipelines.demo.source_exports import JIRA_TIMEZONE, SERVICENOW_TIMEZONE, jira_export, servicenow_event_log
from pipelines.demo.surveys import contract_surveys, generate_surveys
from pipelines.demo.tickets import contract_tickets, generate_tickets
from pipelines.demo.window import CANONICAL_TS_FORMAT, WINDOW_END, WINDOW_START
from pipelines.ingest.sidecar import sidecar_path

TICKETS_FILE = "tickets.csv"
EVENTS_FILE = "ticket_events.parquet"
CHANGES_FILE = "changes.csv"
OUTAGES_FILE = "outages.jsonl"
SURVEYS_FILE = "surveys.csv"
SERVICENOW_FILE = "servicenow_incident_eventlog.csv"
JIRA_FILE = "jira_export.csv"
DEFECTS_FILE = ".defects.json"  # dot-file: the loader ignores hidden files in the inbox
DEMO_FILES = (
    TICKETS_FILE,
    EVENTS_FILE,
    CHANGES_FILE,
    OUTAGES_FILE,
    SURVEYS_FILE,
    SERVICENOW_FILE,
    JIRA_FILE,
    DEFECTS_FILE,
)
SERVICENOW_INCIDENTS = 200
JIRA_ISSUES = 150


@dataclass(frozen=True)
class DemoFile:
    name: str
    table: str  # canonical table it feeds (the vendor exports feed tickets + ticket_events)
    format: str  # csv | parquet | jsonl
    source: str  # canonical | servicenow | jira
    rows: int  # data records written, seeded defect rows included


@dataclass(frozen=True)
class DemoSummary:
    out_dir: Path
    seed: int
    n_tickets: int
    window_start: str
    window_end: str  # exclusive
    files: tuple[DemoFile, ...]
    defects: tuple[Defect, ...]
    facts: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> dict[str, int]:
        return {f.name: f.rows for f in self.files}

    def to_text(self) -> str:
        lines = [f"Demo data (seed {self.seed}, window {self.window_start} .. {self.window_end}) in {self.out_dir}"]
        lines += [f"  {f.name:<36} {f.format:<8} {f.source:<11} {f.rows:>9,} rows -> {f.table}" for f in self.files]
        lines.append("Seeded defects (expect them in raw.quarantine):")
        lines += [f"  {d.kind:<17} {d.file}:{d.line_number} {d.key} {d.description}" for d in self.defects]
        lines.append("Facts: " + ", ".join(f"{k}={v:,}" for k, v in self.facts.items()))
        return "\n".join(lines)


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """All columns as the strings a CSV export holds: UTC timestamps with an explicit Z, booleans lower-case."""
    return frame.select(
        pl.col(pl.Datetime).dt.convert_time_zone("UTC").dt.strftime(CANONICAL_TS_FORMAT),
        pl.exclude(pl.Datetime).cast(pl.String),
    ).select(frame.columns)


def _write_text(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def generate_demo_data(
    out_dir: Path,
    seed: int = 42,
    n_tickets: int = 30000,
    *,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Write the demo exports into `out_dir` and return what was written (files, row counts, seeded defects)."""
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ref = load_reference()
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(9)]

    say(f"tickets and events: {n_tickets:,} incidents + requests ...")
    batch = generate_tickets(streams[0], ref, n_tickets, id_prefix="T-", id_width=6, problems=max(5, n_tickets // 500))
    say("changes ...")
    changes = generate_changes(streams[1], ref, max(60, n_tickets // 25))
    tickets = link_caused_incidents(streams[2], changes, batch.tickets)
    say("outages and surveys ...")
    outages = generate_outages(streams[3], ref, changes, tickets)
    surveys = generate_surveys(streams[4], tickets)
    say("ServiceNow event log and Jira export ...")
    sn_batch = generate_tickets(
        streams[5],
        ref,
        SERVICENOW_INCIDENTS,
        id_prefix="INC",
        id_width=7,
        id_start=10001,
        mix=(1.0, 0.0, 0.0),
        allow_cancel=False,
    )
    sn_log = servicenow_event_log(streams[6], ref, sn_batch)
    jira = jira_export(generate_tickets(streams[7], ref, JIRA_ISSUES, id_prefix="ITSM-", id_width=1))

    say(f"writing files to {out_dir} ...")
    damage = streams[8]
    tickets_text, defects = damage_tickets(
        damage, _as_text(contract_tickets(batch.__class__(tickets, batch.events))), TICKETS_FILE
    )
    _write_text(out_dir / TICKETS_FILE, tickets_text.write_csv())
    batch.events.select(TICKET_EVENTS.column_names).write_parquet(
        out_dir / EVENTS_FILE, compression="zstd", statistics=True
    )
    changes_text, change_defects = damage_changes(damage, _as_text(contract_changes(changes)), CHANGES_FILE)
    _write_text(out_dir / CHANGES_FILE, changes_text.write_csv())
    outages_out = contract_outages(outages).with_columns(
        pl.col(pl.Datetime).dt.convert_time_zone("UTC").dt.strftime(CANONICAL_TS_FORMAT)
    )
    _write_text(out_dir / OUTAGES_FILE, outages_out.write_ndjson())
    surveys_text = _as_text(contract_surveys(surveys))
    truncated, truncation = truncate_last_line(
        surveys_text.write_csv(), surveys_text["survey_id"][-1], SURVEYS_FILE, "surveys"
    )
    _write_text(out_dir / SURVEYS_FILE, truncated)
    _write_text(out_dir / SERVICENOW_FILE, sn_log.write_csv())
    _write_text(out_dir / JIRA_FILE, jira.write_csv())
    all_defects = tuple([*defects, *change_defects, truncation])

    files = (
        DemoFile(TICKETS_FILE, "tickets", "csv", "canonical", tickets_text.height),
        DemoFile(EVENTS_FILE, "ticket_events", "parquet", "canonical", batch.events.height),
        DemoFile(CHANGES_FILE, "changes", "csv", "canonical", changes_text.height),
        DemoFile(OUTAGES_FILE, "outages", "jsonl", "canonical", outages_out.height),
        DemoFile(SURVEYS_FILE, "surveys", "csv", "canonical", surveys_text.height),
        DemoFile(SERVICENOW_FILE, "tickets+ticket_events", "csv", "servicenow", sn_log.height),
        DemoFile(JIRA_FILE, "tickets", "csv", "jira", jira.height),
    )
    summary = DemoSummary(
        out_dir=out_dir,
        seed=seed,
        n_tickets=n_tickets,
        window_start=WINDOW_START.isoformat(),
        window_end=WINDOW_END.isoformat(),
        files=files,
        defects=all_defects,
        facts=_facts(tickets, batch.events, changes, outages, surveys),
    )
    manifest = {
        "seed": seed,
        "n_tickets": n_tickets,
        "window": {"start": summary.window_start, "end_exclusive": summary.window_end},
        "source_timezones": {
            "canonical": "UTC (timestamps carry an explicit Z)",
            "servicenow": SERVICENOW_TIMEZONE,
            "jira": JIRA_TIMEZONE,
        },
        "files": [f.__dict__ for f in files],
        "defects": [d.to_dict() for d in all_defects],
        "facts": summary.facts,
    }
    _write_text(out_dir / DEFECTS_FILE, json.dumps(manifest, indent=2) + "\n")
    for demo_file in files:
        # The exports are taken at the window's end: the run's "now" is fixed, so the demo never shows as stale.
        _write_text(sidecar_path(out_dir / demo_file.name), f"exported_at: {WINDOW_END.isoformat()}\n")
    say(f"done in {time.perf_counter() - started:.1f} s")
    return summary


def _facts(
    tickets: pl.DataFrame, events: pl.DataFrame, changes: pl.DataFrame, outages: pl.DataFrame, surveys: pl.DataFrame
) -> dict[str, int]:
    """Counts a reader of the demo wants to know are there (before defects were planted)."""
    count = lambda frame, expr: int(frame.filter(expr).height)  # noqa: E731
    return {
        "incidents": count(tickets, pl.col("ticket_type") == "incident"),
        "requests": count(tickets, pl.col("ticket_type") == "request"),
        "problems": count(tickets, pl.col("ticket_type") == "problem"),
        "open_at_export": count(tickets, ~pl.col("state").is_in(["resolved", "closed", "cancelled"])),
        "cancelled": count(tickets, pl.col("state") == "cancelled"),
        "reopened": count(tickets, pl.col("reopen_count") > 0),
        "reassigned": count(tickets, pl.col("reassignment_count") > 0),
        "priority_changes": count(events, pl.col("field") == "priority"),
        "caused_by_change": count(tickets, pl.col("caused_by_change").is_not_null()),
        "events": events.height,
        "changes": changes.height,
        "changes_unapproved": count(changes, pl.col("unapproved")),
        "changes_started_before_approval": count(changes, pl.col("late_approval")),
        "planned_windows_overrun": count(outages, pl.col("case") == "planned_overrun"),
        "unplanned_inside_maintenance": count(outages, pl.col("case") == "unplanned_inside_maintenance"),
        "overlapping_outages": count(outages, pl.col("case") == "overlapping"),
        "surveys_sent": surveys.height,
        "surveys_answered": count(surveys, pl.col("csat_score").is_not_null()),
    }
