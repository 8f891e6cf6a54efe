"""The data-quality section's table and summary: display strings for the latest result of every check.

Pure functions over the frame `queries.dq_latest_results` returns; `report.py` renders them as an HTML table and
`app.py` as a Dash table, so both show the same cells. A column is one `DqColumn` in `DQ_COLUMNS` (header + how to
print a row), so adding one (e.g. who acknowledged a failure) is one entry here plus its query column.

`dq.check_results.observed_value` is a bare number whose meaning depends on the kind of check (data_quality's
`details` column says it in words, e.g. "observed_value = age in hours"); `observed_text` gives it its unit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

# What failed first, blocking before warning.
STATUS_ORDER = {"error": 0, "failed": 1, "not_applicable": 2, "passed": 3}
SEVERITY_ORDER = {"blocking": 0, "warning": 1}


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def observed_unit(engine: str | None, check_type: str | None, details: str | None) -> str:
    """The unit of a check's observed_value, from how data_quality computes it:

    - row expectations (Great Expectations, and the SQL key checks that report GX's formula): % of rows unexpected;
    - freshness: age of the newest row in hours; dbt tests: failing rows; volume: rows in the latest load;
      quarantine: quarantined rows;
    - reconciliations: loads whose counts do not add up (load log), else distinct keys in the target.
    """
    text = details or ""
    if "observed_value = unexpected %" in text or engine == "great_expectations":
        return "%"
    if check_type == "freshness" or "observed_value = age in hours" in text:
        return "h"
    if check_type == "reconciliation":
        return "loads" if " loads where " in text else "keys"
    if engine == "dbt" or check_type in ("quarantine", "volume"):
        return "rows"
    return ""


def observed_text(value: object, unit: str) -> str:
    """The observed value with its unit, rounded for reading: 0.37% of rows, 886.6 h, 1,089 keys."""
    number = _number(value)
    if number is None:
        return ""
    if unit == "%":
        if number == 0:
            return "0% of rows"
        return "<0.01% of rows" if number < 0.01 else f"{number:.2f}% of rows"
    if unit == "h":
        days = f" ({number / 24:.1f} days)" if number >= 72 else ""
        return f"{number:,.1f} h{days}"
    if unit:
        return f"{number:,.0f} {unit}"
    return f"{number:,.4g}"


def _status(row: pd.Series) -> str:
    return str(row["status"]).replace("_", " ").upper()


def _failing(row: pd.Series) -> str:
    number = _number(row.get("failing_row_count"))
    return "" if number is None else f"{number:,.0f}"


def _observed(row: pd.Series) -> str:
    unit = observed_unit(row.get("engine"), row.get("check_type"), row.get("details"))
    return observed_text(row.get("observed_value"), unit)


def _checked(row: pd.Series) -> str:
    at = row.get("checked_at")
    return "" if at is None or pd.isna(at) else f"{pd.Timestamp(at).tz_convert('UTC'):%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class DqColumn:
    header: str
    css_class: str  # the report's column style (width, wrapping) and a handle for tests
    value: Callable[[pd.Series], str]
    wrap_at_separators: bool = False  # long identifiers: the browser may wrap after '_', '.' or ':'


DQ_COLUMNS: list[DqColumn] = [
    DqColumn("status", "status", _status),
    DqColumn("severity", "severity", lambda r: str(r["severity"])),
    DqColumn("check", "check", lambda r: str(r["check_name"]), wrap_at_separators=True),
    DqColumn("asset", "asset", lambda r: str(r["asset"]), wrap_at_separators=True),
    DqColumn("failing rows", "number", _failing),
    DqColumn("observed", "observed", _observed),
    DqColumn("checked (UTC)", "checked", _checked),
]


@dataclass(frozen=True)
class DqRow:
    tone: str  # passed / blocking / warning: the row's colour
    cells: list[str]
    details: str  # data_quality's sentence on what was compared (shown on hover)


def dq_rows(frame: pd.DataFrame) -> list[DqRow]:
    """One row per check, failures first (errors, then failed, not applicable, passed; blocking before warning)."""
    if len(frame) == 0:
        return []
    ordered = frame.assign(
        _status=frame["status"].map(STATUS_ORDER).fillna(9),
        _severity=frame["severity"].map(SEVERITY_ORDER).fillna(9),
    ).sort_values(["_status", "_severity", "check_name", "asset"], kind="stable")
    rows = []
    for _, row in ordered.iterrows():
        tone = "passed" if row["status"] == "passed" else "blocking" if row["severity"] == "blocking" else "warning"
        details = row.get("details")
        details = "" if details is None or pd.isna(details) else str(details)
        rows.append(DqRow(tone, [c.value(row) for c in DQ_COLUMNS], details))
    return rows


def dq_summary(frame: pd.DataFrame, quarantined_rows: int) -> list[str]:
    """Sentences above the table: how many checks ran and how many failed by severity, rows in quarantine."""
    if len(frame) == 0:
        return ["No data-quality results recorded yet."]
    failing = frame[frame["status"].isin(["failed", "error"])]
    by_severity = ", ".join(
        f"{int((failing['severity'] == sev).sum())} {sev}" for sev in ("blocking", "warning") if len(failing)
    )
    checks = (
        f"{len(frame):,} check{'' if len(frame) == 1 else 's'}, latest result each: {len(failing):,} failed or errored"
    )
    checks += f" ({by_severity})." if by_severity else "."
    return [checks, f"{quarantined_rows:,} rows held in raw.quarantine (nothing is dropped)."]


def breakable(name: str) -> list[str]:
    """A long check name cut after each '_', '.' or ':' so the browser may wrap it there (joined with <wbr>)."""
    return [part for part in re.split(r"(?<=[_.:])", name) if part]
