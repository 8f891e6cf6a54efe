"""Mapping files: a small YAML file describes any other tool's export and becomes an `Adapter`.

`itsm ingest --mapping my_tool.yml FILE...`, a file's sidecar (`mapping:`, see sidecar.py) or ITSM_MAPPING name
one. The result is an ordinary declarative adapter (adapter.py): the same typing, row checks, quarantine,
lineage and load log as the built-in ones. Examples ship in pipelines/ingest/mappings/.

    name: my_tool                  # shown in raw.load_log as mapping:my_tool (default: the file's stem)
    shape: tickets                 # tickets | changes | outages | surveys | ticket_events | event_log
    csv:
      delimiter: ";"               # default: detected from the header line
      null_values: ["#N/B", "?"]   # text that means empty (the empty string always does)
      decimal_comma: true          # 3,5 -> 3.5 in numeric columns
    timestamps:
      formats: ["%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M"]   # strptime formats of naive stamps, tried in order
      timezone: Europe/Amsterdam   # zone of naive stamps (default: the `mapping` source zone of the settings)
    columns:                       # contract column -> source column (exact name), or {sql: <expression>}
      ticket_id: Incident ID
      opened_at: Open Time
      state: Status
      priority: Priority
    values:                        # per contract column: source value (case-insensitive) -> contract value;
      state: {Closed: closed, Work in progress: in_progress}   # unmapped values are quarantined by the checks
    defaults:                      # value used when the column is unmapped or the source value is empty
      ticket_type: incident

Shape `event_log` (process-mining form: case id, activity, timestamp, resource, case attributes) takes, besides
ticket columns, `event_at` (required), `activity`, `sequence` (tie-breaker among events of one instant) and
`actor`, and an `activities:` map from activity to contract state: a listed activity sets the state, an unlisted
one leaves it unchanged (a ticket starts as `new`). Each event is checked as a row; per case the accepted events,
ordered by (event_at, sequence, row), carry every value forward and are the ticket's snapshots (history.py):

- tickets: one per case; opened_at = the mapped column, else the first event; state, priority, group, assignee,
  service, ... from the latest value; resolved_at / closed_at = the start of the final run of resolved/closed
  (closed) states, when the case ends in one (a reopened case that was not resolved again has none);
- ticket_events: every change of state, assignment_group, priority and assignee between events.

`yields: [ticket_events]` makes an event log feed only ticket_events (its tickets come from another file).

Mistakes in the mapping file (unknown key, unknown contract column, a missing required column) raise
MappingError naming the file and the key; a named column missing from an export rejects that file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from data_quality.contract import TABLES, TICKET_STATES, TICKETS, TS, Column, Table
from pipelines.ingest.adapter import Adapter, Derivation, Mapping, case_map, literal, quote
from pipelines.ingest.files import HEAD_BYTES, FileInfo, FileRejected, dedupe_names
from pipelines.ingest.history import field_changes, latest_ticket, ordered_snapshots

TOP_KEYS = (
    "name",
    "description",
    "shape",
    "yields",
    "csv",
    "timestamps",
    "columns",
    "values",
    "activities",
    "defaults",
)
CSV_KEYS = ("delimiter", "null_values", "decimal_comma")
TIMESTAMP_KEYS = ("formats", "timezone")
SHAPES = (*TABLES, "event_log")
EVENT_LOG_YIELDS = ("tickets", "ticket_events")
NUMERIC_TYPES = ("INTEGER", "BIGINT", "DOUBLE")
TERMINAL_STATES = ("resolved", "closed")

# Each event of an event log is checked as a ticket (requirements relaxed: state, priority, opened_at and type
# may come from other events of the case) plus the event's own columns.
EVENT_ROW = Table(
    name="tickets",
    key=("ticket_id", "event_at"),
    columns=(
        *(
            replace(c, required=c.name == "ticket_id")
            for c in TICKETS.columns
            if c.name not in ("resolved_at", "closed_at")
        ),
        Column("resolved_at", TS),
        Column("closed_at", TS),
        Column("event_at", TS, required=True),
        Column("activity", "VARCHAR"),
        Column("sequence", "VARCHAR"),
        Column("actor", "VARCHAR", person=True),
    ),
)
EVENT_ONLY_COLUMNS = ("event_at", "activity", "sequence", "actor")


class MappingError(ValueError):
    """The mapping file itself is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class MappingSpec:
    path: Path
    name: str
    shape: str
    yields: tuple[str, ...]
    columns: dict[str, str | dict[str, str]]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    activities: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    null_values: tuple[str, ...] = ("",)
    decimal_comma: bool = False
    formats: tuple[str, ...] = ()
    timezone: str | None = None

    @property
    def table(self) -> Table:
        return EVENT_ROW if self.shape == "event_log" else TABLES[self.shape]


def load_mapping(path: Path | str) -> MappedAdapter:
    return MappedAdapter(read_spec(Path(path)))


def read_spec(path: Path) -> MappingSpec:
    where = path.name
    if not path.is_file():
        raise MappingError(f"{path}: mapping file not found")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise MappingError(f"{where}: not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(content, dict):
        raise MappingError(f"{where}: must be a YAML mapping with keys such as shape, columns, values")
    _known(where, "", content, TOP_KEYS)
    shape = str(content.get("shape", "tickets"))
    if shape not in SHAPES:
        raise MappingError(f"{where}: shape {shape!r} is not one of {', '.join(SHAPES)}")
    csv_part = _section(where, content, "csv", CSV_KEYS)
    ts_part = _section(where, content, "timestamps", TIMESTAMP_KEYS)
    columns = _section(where, content, "columns", None)
    values = _section(where, content, "values", None)
    defaults = {str(k): str(v) for k, v in _section(where, content, "defaults", None).items()}
    activities = {str(k): str(v) for k, v in _section(where, content, "activities", None).items()}
    table = EVENT_ROW if shape == "event_log" else TABLES[shape]
    allowed = table.column_names
    for key, section in (("columns", columns), ("values", values), ("defaults", defaults)):
        unknown = [k for k in section if k not in allowed]
        if unknown:
            raise MappingError(
                f"{where}: {key}.{unknown[0]} is not a column of {shape}; known columns: {', '.join(allowed)}"
            )
    for key, spec in columns.items():
        if isinstance(spec, dict):
            if set(spec) != {"sql"}:
                raise MappingError(f"{where}: columns.{key} must be a column name or {{sql: <expression>}}")
        elif not isinstance(spec, str) or not spec:
            raise MappingError(f"{where}: columns.{key} must be a column name or {{sql: <expression>}}")
    for key, section in values.items():
        if not isinstance(section, dict):
            raise MappingError(f"{where}: values.{key} must map source values to {key} values")
    yields = tuple(content.get("yields") or (EVENT_LOG_YIELDS if shape == "event_log" else (shape,)))
    if shape == "event_log":
        bad = [y for y in yields if y not in EVENT_LOG_YIELDS]
        if bad or not yields:
            shown = repr(bad[0]) if bad else "[]"
            raise MappingError(f"{where}: yields {shown}: an event log yields tickets and/or ticket_events")
        bad_states = [s for s in activities.values() if s not in TICKET_STATES]
        if bad_states:
            raise MappingError(
                f"{where}: activities maps to {bad_states[0]!r}, not a ticket state ({', '.join(TICKET_STATES)})"
            )
    elif content.get("yields") not in (None, [shape]):
        raise MappingError(f"{where}: yields applies to shape event_log only")
    elif activities:
        raise MappingError(f"{where}: activities applies to shape event_log only")
    required = table.required
    if shape == "event_log" and "tickets" in yields:
        required = [*required, "ticket_type", "priority"]  # a ticket needs them, whichever event gives them
    missing = [c for c in required if c not in columns and c not in defaults]
    if missing:
        raise MappingError(
            f"{where}: columns.{missing[0]} is missing: a {shape} export needs a source column for "
            f"{', '.join(missing)} (or a value under defaults)"
        )
    delimiter = csv_part.get("delimiter")
    if delimiter is not None and len(str(delimiter)) != 1:
        raise MappingError(f"{where}: csv.delimiter must be one character, got {delimiter!r}")
    formats = ts_part.get("formats") or ()
    if isinstance(formats, str):
        formats = (formats,)
    return MappingSpec(
        path=path,
        name=str(content.get("name") or path.stem),
        shape=shape,
        yields=yields,
        columns=columns,
        values={k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
        activities=activities,
        defaults=defaults,
        delimiter=str(delimiter) if delimiter is not None else None,
        null_values=("", *(str(v) for v in csv_part.get("null_values") or ())),
        decimal_comma=bool(csv_part.get("decimal_comma", False)),
        formats=tuple(str(f) for f in formats),
        timezone=str(ts_part["timezone"]) if ts_part.get("timezone") else None,
    )


def _known(where: str, prefix: str, section: dict, keys: tuple[str, ...]) -> None:
    unknown = [str(k) for k in section if k not in keys]
    if unknown:
        raise MappingError(f"{where}: unknown key {prefix}{unknown[0]}; allowed: {', '.join(keys)}")


def _section(where: str, content: dict, key: str, keys: tuple[str, ...] | None) -> dict[str, Any]:
    section = content.get(key) or {}
    if not isinstance(section, dict):
        raise MappingError(f"{where}: {key} must be a mapping of keys to values")
    if keys is not None:
        _known(where, f"{key}.", section, keys)
    return {str(k): v for k, v in section.items()}


class MappedAdapter(Adapter):
    """An Adapter built from a mapping file."""

    name = "mapping"

    def __init__(self, spec: MappingSpec) -> None:
        self.spec = spec
        self.null_values = spec.null_values
        self.timezone = spec.timezone

    def matches(self, header: tuple[str, ...], path: Path) -> bool:
        return all(name in header for name in self.source_columns())

    def source_columns(self) -> list[str]:
        return [spec for spec in self.spec.columns.values() if isinstance(spec, str)]

    def prepare(self, info: FileInfo) -> FileInfo:
        """The file as the mapping reads it: a declared CSV delimiter replaces the detected one."""
        if info.format != "csv" or not self.spec.delimiter or self.spec.delimiter == info.delimiter:
            return info
        with info.path.open("rb") as handle:
            text = handle.read(HEAD_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff")
        row = next(csv.reader(io.StringIO(text, newline=""), delimiter=self.spec.delimiter), [])
        return replace(info, header=dedupe_names([name.strip() for name in row]), delimiter=self.spec.delimiter)

    def check_header(self, header: tuple[str, ...], path: Path) -> None:
        for key, spec in self.spec.columns.items():
            if isinstance(spec, str) and spec not in header:
                shown = ", ".join(header[:20]) + (", ..." if len(header) > 20 else "")
                raise FileRejected(
                    path,
                    f"mapping {self.spec.path.name}: columns.{key} names column {spec!r}, which is not in the "
                    f"header ({shown})",
                )

    def mapping(self, header: tuple[str, ...], path: Path) -> Mapping:
        spec = self.spec
        table = spec.table
        columns: dict[str, str] = {}
        for column in table.columns:
            expr = self._expression(column)
            if expr is not None:
                columns[column.name] = expr
        if spec.shape == "event_log" and spec.activities and "activity" in columns:
            activity_state = case_map(columns["activity"], _lower_keys(spec.activities), default_original=False)
            state = columns.get("state")
            columns["state"] = f"coalesce({activity_state}, {state})" if state else activity_state
        used = set(self.source_columns())
        extra = tuple(name for name in header if name not in used)
        return Mapping(
            table=table,
            columns={name: columns.get(name, "NULL") for name in table.column_names},
            extra_columns=extra,
            timestamp_formats=spec.formats,
            variant=spec.name,
            quarantine_table="tickets" if spec.shape == "event_log" else "",
            one_row_per_record=spec.shape != "event_log",
        )

    def _expression(self, column: Column) -> str | None:
        spec = self.spec
        source = spec.columns.get(column.name)
        if source is None:
            expr = None
        elif isinstance(source, dict):
            expr = f"CAST(({source['sql']}) AS VARCHAR)"
        else:
            expr = quote(source)
        if expr is not None and column.name in spec.values:
            expr = case_map(expr, _lower_keys(spec.values[column.name]))
        if expr is not None and spec.decimal_comma and column.type in NUMERIC_TYPES:
            expr = f"replace({expr}, ',', '.')"
        if column.name in spec.defaults:
            default = literal(spec.defaults[column.name])
            expr = default if expr is None else f"coalesce(nullif(trim({expr}), ''), {default})"
        return expr

    def derive(self, mapping: Mapping, checked: str) -> Derivation | None:
        if self.spec.shape != "event_log":
            return None
        carried = [c for c in TICKETS.column_names if c not in ("ticket_id", "state")]
        order = "event_at, sequence NULLS FIRST, _row_number"
        window = f"PARTITION BY ticket_id ORDER BY {order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
        fill = ", ".join(f"last_value({quote(c)} IGNORE NULLS) OVER w AS {quote(c)}" for c in carried)
        snapshots = f"""(SELECT ticket_id, event_at, sequence, actor, _row_number, _extra,
                    coalesce(last_value(state IGNORE NULLS) OVER w, 'new') AS state, {fill},
                    min(event_at) OVER (PARTITION BY ticket_id) AS _first_event_at
             FROM {checked} WHERE _reason IS NULL
             WINDOW w AS ({window}))"""
        ordered = ordered_snapshots(
            snapshots, at="event_at", order=order, last_first="sequence DESC NULLS LAST, _row_number DESC"
        )
        selects = {}
        if "tickets" in self.spec.yields:
            selects["tickets"] = _tickets_from_events(ordered)
        if "ticket_events" in self.spec.yields:
            selects["ticket_events"] = field_changes(ordered, at="event_at", actor="actor")
        return Derivation(selects)


def _tickets_from_events(ordered: str) -> str:
    """One ticket per case: its last snapshot, with opened_at and the resolution instants of the final run."""
    terminal = ", ".join(literal(s) for s in TERMINAL_STATES)
    runs = f"""(SELECT *,
                sum(CASE WHEN state IN ({terminal}) THEN 0 ELSE 1 END) OVER w AS _open_runs,
                last_value(state) OVER (PARTITION BY ticket_id ORDER BY _seq_in_ticket
                    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS _final_state
         FROM {ordered} AS o
         WINDOW w AS (PARTITION BY ticket_id ORDER BY _seq_in_ticket ROWS UNBOUNDED PRECEDING))"""
    final = f"""(SELECT *,
                min(event_at) FILTER (WHERE state IN ({terminal})) OVER t AS _resolved_in_final_run,
                min(event_at) FILTER (WHERE state = 'closed') OVER t AS _closed_in_final_run
         FROM {runs} AS r
         WINDOW t AS (PARTITION BY ticket_id, _open_runs))"""
    return latest_ticket(
        final,
        {
            "opened_at": "coalesce(opened_at, _first_event_at)",
            "resolved_at": f"coalesce(resolved_at, CASE WHEN _final_state IN ({terminal}) "
            "THEN _resolved_in_final_run END)",
            "closed_at": "coalesce(closed_at, CASE WHEN _final_state = 'closed' THEN _closed_in_final_run END)",
        },
    )


def _lower_keys(values: dict[str, str]) -> dict[str, str]:
    return {k.strip().lower(): v for k, v in values.items()}
