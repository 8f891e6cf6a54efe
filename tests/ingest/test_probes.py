"""Uptime-monitor probe samples -> unplanned outage intervals."""

from __future__ import annotations

import json
from datetime import UTC, datetime


def ts(hh: int, mm: int) -> datetime:
    return datetime(2026, 1, 1, hh, mm, tzinfo=UTC)


def test_down_runs_become_outages_with_gaps_treated_as_unknown(warehouse, write):
    path = write(
        "uptime_export.csv",
        """
        service,checked_at,up
        web,2026-01-01 00:00:00,1
        web,2026-01-01 00:01:00,0
        web,2026-01-01 00:02:00,0
        web,2026-01-01 00:03:00,1
        web,2026-01-01 00:04:00,1
        web,2026-01-01 00:05:00,down
        web,2026-01-01 00:20:00,up
        web,2026-01-01 00:21:00,up
        web,2026-01-01 00:22:00,maybe
        web,2026-01-01 00:23:00,false
        api,2026-01-01 00:00:00,true
        api,2026-01-01 00:02:00,true
        """,
    )
    [result] = warehouse.load(path)
    assert (result.adapter, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "probes:samples",
        12,
        11,
        1,
    )
    rows = warehouse.rows(
        "select outage_id, service, started_at, ended_at, outage_type, _extra::varchar from raw.outages order by 3"
    )
    # web probes every 60 s (median spacing); a spacing over 3 x 60 s is a gap.
    assert [r[:5] for r in rows] == [
        # 00:01 and 00:02 down, first following up at 00:03
        ("probe:web:2026-01-01T00:01:00Z", "web", ts(0, 1), ts(0, 3), "unplanned"),
        # 00:05 down, then nothing until 00:20 (a 15-minute gap): known down only until the next check was due
        ("probe:web:2026-01-01T00:05:00Z", "web", ts(0, 5), ts(0, 6), "unplanned"),
        # 00:23 down is the last sample: still open (00:22 `maybe` was quarantined)
        ("probe:web:2026-01-01T00:23:00Z", "web", ts(0, 23), None, "unplanned"),
    ]
    assert [json.loads(r[5])["end_basis"] for r in rows] == ["up_sample", "gap", "open"]
    assert json.loads(rows[0][5])["samples_down"] == 2
    assert warehouse.one("select reason from raw.quarantine") == 'up: not a boolean "maybe"'
    assert warehouse.one("select target_table from raw.quarantine") == "outages"


def test_a_later_export_closes_an_open_outage_under_the_same_key(warehouse, write):
    first = write("probes_a.csv", "service,checked_at,up\nweb,2026-01-01 00:00:00,1\nweb,2026-01-01 00:01:00,0\n")
    second = write(
        "probes_b.csv",
        "service,checked_at,up\nweb,2026-01-01 00:01:00,0\nweb,2026-01-01 00:02:00,0\nweb,2026-01-01 00:03:00,1\n",
    )
    warehouse.load(first, second)
    # Latest load per outage_id (the staging rule) gives the closed interval.
    assert warehouse.rows(
        """select outage_id, ended_at from raw.outages
           qualify row_number() over (partition by outage_id order by _load_id desc, _row_number desc) = 1"""
    ) == [("probe:web:2026-01-01T00:01:00Z", ts(0, 3))]
