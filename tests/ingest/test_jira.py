"""Jira Service Management CSV export."""
# ruff: noqa: E501  (fixture export rows are as wide as the exports they imitate)

from __future__ import annotations

import json
from datetime import UTC, datetime

JIRA_CSV = """
Summary,Issue key,Issue id,Issue Type,Status,Priority,Resolution,Assignee,Reporter,Created,Updated,Resolved,Component/s,Component/s,Custom field (Request Type)
Mail down,SD-1,10001,Incident,Resolved,High,Done,alice,bob,25/Nov/26 4:29 PM,26/Nov/26 9:00 AM,26/Nov/26 9:05 AM,Email,Exchange,Report a system problem
VPN access,SD-2,10002,Service Request,Waiting for customer,Medium,,carol,dave,2026-11-20 08:00,2026-11-20 09:00,,VPN,,Request access
Disk full,SD-3,10003,Problem,Work in progress,Highest,,erin,frank,3/Dec/26 12:05 AM,,,Storage,,
Odd one,SD-4,10004,Incident,Triage,Urgent,,carol,dave,20/Nov/26 8:00 AM,,,VPN,,
"""


def test_jira_export_maps_types_states_priorities_and_dates(warehouse, write):
    [result] = warehouse.load(write("jira_export.csv", JIRA_CSV))
    assert (result.adapter, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("jira:jsm", 4, 3, 1)
    assert warehouse.rows(
        """select ticket_id, ticket_type, state, priority, opened_at, resolved_at, assignee, caller, service,
                  category, close_code from raw.tickets order by 1"""
    ) == [
        # 25/Nov/26 4:29 PM -> 2026-11-25 16:29
        (
            "SD-1",
            "incident",
            "resolved",
            2,
            datetime(2026, 11, 25, 16, 29, tzinfo=UTC),
            datetime(2026, 11, 26, 9, 5, tzinfo=UTC),
            "alice",
            "bob",
            "Email",
            "Report a system problem",
            "Done",
        ),
        (
            "SD-2",
            "request",
            "awaiting_customer",
            3,
            datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
            None,
            "carol",
            "dave",
            "VPN",
            "Request access",
            None,
        ),
        # 12:05 AM is five past midnight
        (
            "SD-3",
            "problem",
            "in_progress",
            1,
            datetime(2026, 12, 3, 0, 5, tzinfo=UTC),
            None,
            "erin",
            "frank",
            "Storage",
            None,
            None,
        ),
    ]
    # The second `Component/s` column is kept in _extra under a de-duplicated name.
    extra = json.loads(warehouse.one("select _extra::varchar from raw.tickets where ticket_id = 'SD-1'"))
    assert extra["Component/s_2"] == "Exchange" and extra["Issue id"] == "10001"
    # An unmapped workflow status and priority are quarantined with both reasons, not guessed.
    line, reason = warehouse.rows("select line_number, reason from raw.quarantine")[0]
    assert line == 5
    assert reason == (
        'state: value "Triage" not in allowed set (new, in_progress, on_hold, awaiting_customer, resolved, closed, '
        'cancelled); priority: value "Urgent" not in allowed set (1, 2, 3, 4)'
    )


def test_jira_dates_in_declared_zone(warehouse, write):
    warehouse.load(write("jira_export.csv", JIRA_CSV), source_timezones={"jira": "America/New_York"})
    # 25 Nov 16:29 in New York (EST, UTC-5) -> 21:29 UTC
    assert warehouse.one("select opened_at from raw.tickets where ticket_id = 'SD-1'") == datetime(
        2026, 11, 25, 21, 29, tzinfo=UTC
    )
