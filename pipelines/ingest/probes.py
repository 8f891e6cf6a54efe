"""Uptime-monitor probe samples (service, checked_at, up) -> unplanned outage intervals.

Rules (also in the README):
- Samples are ordered per service by checked_at. A run of consecutive down samples is one unplanned outage
  from the first down sample to the first following up sample.
- The probe interval of a service is the median spacing of its samples in the file. A spacing longer than
  GAP_FACTOR x that interval is a gap: nothing is known inside it, and it is not counted as downtime.
  A down run followed by a gap ends one probe interval after its last down sample (the time the next check
  was due); a down sample right after a gap starts a new outage.
- A down run at the end of the file has no end yet: ended_at is NULL (ongoing). A later export that covers it
  produces the same outage_id (service + start) with an end, and the latest load wins per key.
- `up` accepts 1/0, true/false, t/f, yes/no, up/down, ok; anything else quarantines the sample.
Each outage keeps in _extra the number of down samples, the probe interval in seconds and how its end was found
(`up_sample`, `gap`). Read counts reconcile per sample: rows_read = samples accepted + samples quarantined.
"""

from __future__ import annotations

from pathlib import Path

from data_quality.contract import TS, Column, Table
from pipelines.ingest.adapter import Adapter, Derivation, Mapping, case_map, column_lookup, finish, pick, require

GAP_FACTOR = 3

SAMPLES = Table(
    name="probe_samples",
    key=("service", "checked_at"),
    columns=(
        Column("service", "VARCHAR", required=True),
        Column("checked_at", TS, required=True),
        Column("up", "BOOLEAN", required=True),
    ),
)

UP_VALUES = {
    "1": "true",
    "true": "true",
    "t": "true",
    "yes": "true",
    "y": "true",
    "up": "true",
    "ok": "true",
    "0": "false",
    "false": "false",
    "f": "false",
    "no": "false",
    "n": "false",
    "down": "false",
}


class ProbesAdapter(Adapter):
    name = "probes"

    def matches(self, header: tuple[str, ...], path: Path) -> bool:
        look = column_lookup(header)
        return all(pick(look, c) for c in ("service", "checked_at", "up"))

    def mapping(self, header: tuple[str, ...], path: Path) -> Mapping:
        look = column_lookup(header)
        columns: dict[str, str | None] = {c: pick(look, c) for c in ("service", "checked_at", "up")}
        if columns["up"]:
            columns["up"] = case_map(columns["up"], UP_VALUES)
        require(path, SAMPLES, columns, {})
        extra = tuple(n for n in header if n.lower() not in ("service", "checked_at", "up"))
        return Mapping(
            table=SAMPLES,
            columns=finish(columns, SAMPLES),
            extra_columns=extra,
            variant="samples",
            quarantine_table="outages",
        )

    def derive(self, mapping: Mapping, checked: str) -> Derivation:
        sql = f"""
WITH s AS (
    SELECT service, checked_at, up, _row_number,
           lag(checked_at) OVER w AS prev_at, lag(up) OVER w AS prev_up, lead(checked_at) OVER w AS next_at
    FROM {checked} WHERE _reason IS NULL
    WINDOW w AS (PARTITION BY service ORDER BY checked_at, _row_number)
),
spacing AS (
    SELECT service, median(epoch(next_at) - epoch(checked_at)) AS interval_s
    FROM s WHERE next_at IS NOT NULL GROUP BY service
),
flagged AS (
    SELECT s.*, interval_s,
           coalesce(epoch(checked_at) - epoch(prev_at) > {GAP_FACTOR} * interval_s, false) AS after_gap,
           coalesce(epoch(next_at) - epoch(checked_at) > {GAP_FACTOR} * interval_s, false) AS before_gap
    FROM s LEFT JOIN spacing USING (service)
),
runs AS (
    SELECT *, sum(CASE WHEN NOT up AND (prev_up IS NULL OR prev_up OR after_gap) THEN 1 ELSE 0 END)
                  OVER (PARTITION BY service ORDER BY checked_at, _row_number) AS run_no
    FROM flagged
),
down AS (
    SELECT service, run_no,
           min(checked_at) AS started_at,
           arg_max(next_at, checked_at) AS next_at,
           arg_max(before_gap, checked_at) AS ends_in_gap,
           max(checked_at) AS last_down_at,
           any_value(interval_s) AS interval_s,
           count(*) AS samples_down,
           min(_row_number) AS _row_number
    FROM runs WHERE NOT up GROUP BY service, run_no
)
SELECT 'probe:' || service || ':' || strftime(started_at, '%Y-%m-%dT%H:%M:%SZ') AS outage_id,
       service, NULL AS ci, started_at,
       CASE WHEN next_at IS NULL THEN NULL
            WHEN ends_in_gap THEN last_down_at + to_seconds(interval_s)
            ELSE next_at END AS ended_at,
       'unplanned' AS outage_type, 100.0 AS impact_pct, NULL AS change_id, NULL AS ticket_id,
       _row_number,
       json_object('samples_down', samples_down, 'probe_interval_s', interval_s,
                   'end_basis', CASE WHEN next_at IS NULL THEN 'open' WHEN ends_in_gap THEN 'gap'
                                     ELSE 'up_sample' END)::JSON AS _extra
FROM down"""
        return Derivation({"outages": sql})
