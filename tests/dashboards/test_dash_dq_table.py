"""The data-quality table's cells: order, colours, and every observed value with its unit."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboards.dq_table import DQ_COLUMNS, breakable, dq_rows, dq_summary, observed_text, observed_unit


@pytest.mark.parametrize(
    ("engine", "check_type", "details", "unit"),
    [
        (
            "great_expectations",
            "in_set",
            "priority in 1-4; 2 of 100 rows unexpected (observed_value = unexpected %)",
            "%",
        ),
        ("sql", "unique", "ticket_id once per load; 0 of 3354 rows unexpected (observed_value = unexpected %)", "%"),
        ("sql", "freshness", "newest opened_at is 887.9 h old; limit 48 h (observed_value = age in hours)", "h"),
        ("dbt", "not_null", "dbt test pass:", "rows"),
        ("sql", "quarantine", "5 rows quarantined", "rows"),
        ("sql", "volume", "load 7 wrote 3354 rows", "rows"),
        ("sql", "reconciliation", "0 of 7 loads where rows_read != rows_loaded + rows_quarantined", "loads"),
        ("sql", "reconciliation", "raw.tickets: 3354 distinct ticket_id; staging: 3354 distinct in 3354 rows", "keys"),
        (None, None, None, ""),
    ],
)
def test_observed_unit_follows_how_the_check_computes_it(engine, check_type, details, unit):
    assert observed_unit(engine, check_type, details) == unit


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (886.648, "h", "886.6 h (36.9 days)"),  # 886.648 / 24 = 36.94 days
        (3.0, "h", "3.0 h"),  # under three days: hours alone
        (12.5, "%", "12.50% of rows"),
        (0.0, "%", "0% of rows"),
        (0.004, "%", "<0.01% of rows"),  # 1 row in 25,000: not shown as a bare 0
        (1089.0, "keys", "1,089 keys"),
        (5.0, "rows", "5 rows"),
        (None, "rows", ""),
        (float("nan"), "h", ""),
        (0.123456, "", "0.1235"),
    ],
)
def test_observed_text_rounds_and_carries_its_unit(value, unit, text):
    assert observed_text(value, unit) == text


def results(*rows: tuple) -> pd.DataFrame:
    columns = ["check_name", "asset", "severity", "status", "observed_value", "failing_row_count", "checked_at"]
    columns += ["check_type", "engine", "details"]
    return pd.DataFrame([(*r, "freshness", "sql", "(observed_value = age in hours)") for r in rows], columns=columns)


def test_rows_list_failures_first_blocking_before_warning_with_their_colour():
    at = pd.Timestamp("2026-07-02 08:00", tz="UTC")
    frame = results(
        ("fresh", "raw.tickets", "warning", "passed", 3.0, 0, at),
        ("late", "raw.changes", "warning", "failed", 100.0, 0, at),
        ("dates", "raw.outages", "blocking", "failed", 1.0, 1, at),
        ("volume", "raw.tickets", "warning", "not_applicable", None, None, at),
        ("broken", "raw.tickets", "warning", "error", None, None, at),
    )
    rows = dq_rows(frame)
    check = [c.header for c in DQ_COLUMNS].index("check")
    assert [r.cells[check] for r in rows] == ["broken", "dates", "late", "volume", "fresh"]
    assert [r.tone for r in rows] == ["warning", "blocking", "warning", "warning", "passed"]
    by_header = dict(zip([c.header for c in DQ_COLUMNS], rows[2].cells, strict=True))
    assert by_header == {
        "status": "FAILED",
        "severity": "warning",
        "check": "late",
        "asset": "raw.changes",
        "failing rows": "0",
        "observed": "100.0 h (4.2 days)",  # 100 / 24 = 4.17 days
        "checked (UTC)": "2026-07-02 08:00",
    }
    assert rows[3].cells[0] == "NOT APPLICABLE" and rows[3].cells[4] == "" and rows[3].cells[5] == ""
    assert rows[2].details == "(observed_value = age in hours)"
    assert dq_rows(pd.DataFrame()) == []


def test_summary_counts_failures_by_severity_and_quarantined_rows():
    at = pd.Timestamp("2026-07-02 08:00", tz="UTC")
    frame = results(
        ("a", "raw.x", "blocking", "failed", 1.0, 1, at),
        ("b", "raw.x", "warning", "error", None, None, at),
        ("c", "raw.x", "warning", "failed", 1.0, 1, at),
        ("d", "raw.x", "warning", "passed", 0.0, 0, at),
    )
    assert dq_summary(frame, 1234) == [
        "4 checks, latest result each: 3 failed or errored (1 blocking, 2 warning).",
        "1,234 rows held in raw.quarantine (nothing is dropped).",
    ]
    assert dq_summary(frame[frame["check_name"] == "d"], 0)[0] == "1 check, latest result each: 0 failed or errored."
    assert dq_summary(pd.DataFrame(), 0) == ["No data-quality results recorded yet."]


def test_long_check_names_may_wrap_after_separators_and_read_the_same():
    name = "dbt:not_null_columns_int_calendar_business_segments_calendar_id__segment_start_utc"
    pieces = breakable(name)
    assert "".join(pieces) == name
    assert pieces[:3] == ["dbt:", "not_", "null_"]
    assert max(len(p) for p in pieces) == len("calendar_")
