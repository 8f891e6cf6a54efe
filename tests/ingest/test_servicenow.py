"""ServiceNow: incident audit event log (snapshots -> tickets + ticket_events), flat incident list, change_request."""
# ruff: noqa: E501  (fixture export rows are as wide as the exports they imitate)

from __future__ import annotations

import json
from datetime import UTC, datetime

HEADER = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,caller_id,opened_by,"
    "opened_at,sys_created_by,sys_created_at,sys_updated_by,sys_updated_at,contact_type,location,category,"
    "subcategory,u_symptom,cmdb_ci,impact,urgency,priority,assignment_group,assigned_to,knowledge,"
    "u_priority_confirmation,notify,problem_id,rfc,vendor,caused_by,closed_code,resolved_by,resolved_at,"
    "closed_at,u_service"
)


def snapshot(number, state, mod, updated_by, updated_at, priority, group, assignee, resolved_at="?", reassign=0):
    return (
        f"{number},{state},true,{reassign},0,{mod},true,Caller 2403,Opened by 8,29/2/2016 01:16,Created by 6,"
        f"29/2/2016 01:23,{updated_by},{updated_at},Phone,Location 143,Category 55,Subcategory 170,Symptom 72,?,"
        f"2 - Medium,2 - Medium,{priority},{group},{assignee},true,false,Do Not Notify,?,?,?,CHG0001,code 5,"
        f"Resolved by 149,{resolved_at},?,Email"
    )


# Rows deliberately out of order (mod 2 before mod 1) to prove ordering is by sys_mod_count, not file order.
EVENT_LOG = (
    "\n".join(
        [
            HEADER,
            snapshot("INC0000045", "New", 0, "Updated by 21", "29/2/2016 01:23", "3 - Moderate", "Group 56", "?"),
            snapshot(
                "INC0000045",
                "Awaiting User Info",
                2,
                "Updated by 804",
                "29/2/2016 11:29",
                "2 - High",
                "Group 70",
                "Resolver 89",
                reassign=1,
            ),
            snapshot(
                "INC0000045",
                "Active",
                1,
                "Updated by 642",
                "29/2/2016 08:53",
                "3 - Moderate",
                "Group 70",
                "Resolver 89",
                reassign=1,
            ),
            snapshot(
                "INC0000045",
                "Resolved",
                3,
                "Updated by 908",
                "5/3/2016 12:00",
                "2 - High",
                "Group 70",
                "Resolver 89",
                resolved_at="5/3/2016 12:00",
                reassign=1,
            ),
            snapshot("INC0000047", "New", 0, "Updated by 746", "29/2/2016 04:57", "4 - Low", "Group 24", "?"),
            snapshot(
                "INC0000047",
                "Awaiting Vendor",
                1,
                "Updated by 746",
                "1/3/2016 06:10",
                "4 - Low",
                "Group 24",
                "Resolver 31",
            ),
        ]
    )
    + "\n"
)


def test_event_log_yields_latest_ticket_and_field_diffs(warehouse, write):
    [result] = warehouse.load(write("incident_event_log.csv", EVENT_LOG))
    assert (result.status, result.adapter) == ("loaded", "servicenow:event_log")
    # 6 snapshot rows read, all accepted; 2 tickets; events counted by hand below.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 6, 0)

    tickets = warehouse.rows(
        """select ticket_id, ticket_type, state, priority, impact, opened_at, resolved_at, assignment_group,
                  assignee, caller, channel, reassignment_count, caused_by_change, source_made_sla, service, ci,
                  _row_number
           from raw.tickets order by ticket_id"""
    )
    assert tickets == [
        # latest snapshot of INC0000045 is sys_mod_count 3 (file row 4); `?` cmdb_ci is NULL.
        (
            "INC0000045",
            "incident",
            "resolved",
            2,
            2,
            datetime(2016, 2, 29, 1, 16, tzinfo=UTC),
            datetime(2016, 3, 5, 12, 0, tzinfo=UTC),
            "Group 70",
            "Resolver 89",
            "Caller 2403",
            "Phone",
            1,
            "CHG0001",
            True,
            "Email",
            None,
            4,
        ),
        # Awaiting Vendor -> on_hold
        (
            "INC0000047",
            "incident",
            "on_hold",
            4,
            2,
            datetime(2016, 2, 29, 1, 16, tzinfo=UTC),
            None,
            "Group 24",
            "Resolver 31",
            "Caller 2403",
            "Phone",
            0,
            "CHG0001",
            True,
            "Email",
            None,
            6,
        ),
    ]

    events = warehouse.rows(
        "select ticket_id, event_at, field, from_value, to_value, actor from raw.ticket_events order by 1, 2, 3"
    )
    assert events == [
        # mod 0 -> 1 at 08:53: state new -> in_progress, group 56 -> 70, assignee NULL -> Resolver 89
        ("INC0000045", datetime(2016, 2, 29, 8, 53, tzinfo=UTC), "assignee", None, "Resolver 89", "Updated by 642"),
        (
            "INC0000045",
            datetime(2016, 2, 29, 8, 53, tzinfo=UTC),
            "assignment_group",
            "Group 56",
            "Group 70",
            "Updated by 642",
        ),
        ("INC0000045", datetime(2016, 2, 29, 8, 53, tzinfo=UTC), "state", "new", "in_progress", "Updated by 642"),
        # mod 1 -> 2 at 11:29: priority 3 -> 2, state in_progress -> awaiting_customer (Awaiting User Info)
        ("INC0000045", datetime(2016, 2, 29, 11, 29, tzinfo=UTC), "priority", "3", "2", "Updated by 804"),
        (
            "INC0000045",
            datetime(2016, 2, 29, 11, 29, tzinfo=UTC),
            "state",
            "in_progress",
            "awaiting_customer",
            "Updated by 804",
        ),
        # mod 2 -> 3 on 5 March: resolved
        (
            "INC0000045",
            datetime(2016, 3, 5, 12, 0, tzinfo=UTC),
            "state",
            "awaiting_customer",
            "resolved",
            "Updated by 908",
        ),
        # INC0000047 mod 0 -> 1: assignee set, state new -> on_hold (Awaiting Vendor)
        ("INC0000047", datetime(2016, 3, 1, 6, 10, tzinfo=UTC), "assignee", None, "Resolver 31", "Updated by 746"),
        ("INC0000047", datetime(2016, 3, 1, 6, 10, tzinfo=UTC), "state", "new", "on_hold", "Updated by 746"),
    ]
    assert result.tables == {"tickets": 2, "ticket_events": 8}
    # unknown source columns (u_symptom, location, ...) are kept on the ticket row
    extra = json.loads(warehouse.one("select _extra::varchar from raw.tickets where ticket_id = 'INC0000045'"))
    assert extra["u_symptom"] == "Symptom 72" and extra["location"] == "Location 143"


def test_event_log_bad_snapshot_is_quarantined_and_skipped_in_the_diffs(warehouse, write):
    rows = EVENT_LOG.splitlines()
    # Row for mod 1 (file line 4) gets an impossible date: 31 February.
    rows[3] = rows[3].replace("29/2/2016 08:53", "31/2/2016 08:53")
    [result] = warehouse.load(write("incident_event_log.csv", "\n".join(rows) + "\n"))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 5, 1)
    [(line, reason)] = warehouse.rows("select line_number, reason from raw.quarantine")
    assert line == 4 and reason == 'sys_updated_at: bad timestamp "31/2/2016 08:53"'
    # Without mod 1, INC0000045 goes mod 0 -> mod 2 in one step: new -> awaiting_customer at 11:29.
    assert warehouse.rows(
        """select from_value, to_value, event_at from raw.ticket_events
           where ticket_id = 'INC0000045' and field = 'state' order by event_at"""
    ) == [
        ("new", "awaiting_customer", datetime(2016, 2, 29, 11, 29, tzinfo=UTC)),
        ("awaiting_customer", "resolved", datetime(2016, 3, 5, 12, 0, tzinfo=UTC)),
    ]


def test_flat_incident_list(warehouse, write):
    path = write(
        "incident.csv",
        """
        number,opened_at,state,priority,impact,urgency,assignment_group,assigned_to,caller_id,business_service,close_code,resolved_at
        INC0010001,2026-03-02 08:00:00,In Progress,1 - Critical,1 - High,1 - High,Service Desk,Ann,Bob,Email,,
        INC0010002,2026-03-02 09:00:00,Resolved,4 - Low,3 - Low,3 - Low,Network,Cy,Dee,VPN,Solved (Permanently),2026-03-03 10:00:00
        INC0010003,2026-03-02 10:00:00,On Hold,5 - Planning,3 - Low,3 - Low,Network,Cy,Dee,VPN,,
        PRB0040001,2026-03-02 11:00:00,New,3 - Moderate,2 - Medium,2 - Medium,Network,Cy,Dee,VPN,,
        RITM0050001,2026-03-02 12:00:00,Closed,4 - Low,3 - Low,3 - Low,Service Desk,Ann,Bob,Email,,
        """,
    )
    [result] = warehouse.load(path)
    assert (result.adapter, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "servicenow:incident",
        5,
        4,
        1,
    )
    assert warehouse.rows(
        "select ticket_id, ticket_type, state, priority, impact, service, close_code from raw.tickets order by 1"
    ) == [
        ("INC0010001", "incident", "in_progress", 1, 1, "Email", None),
        ("INC0010002", "incident", "resolved", 4, 3, "VPN", "Solved (Permanently)"),
        # the number prefix says which ServiceNow table the record came from
        ("PRB0040001", "problem", "new", 3, 2, "VPN", None),
        ("RITM0050001", "request", "closed", 4, 3, "Email", None),
    ]
    # ServiceNow's priority 5 (Planning) is outside the contract's 1-4: quarantined, not guessed.
    assert warehouse.one("select reason from raw.quarantine") == 'priority: value "5" not in allowed set (1, 2, 3, 4)'
    assert warehouse.one("select count(*) from raw.ticket_events") == 0


def test_change_request_export(warehouse, write):
    path = write(
        "change_request.csv",
        """
        number,short_description,type,risk,state,approval,approval_set,opened_at,start_date,end_date,work_start,work_end,close_code,assignment_group,business_service,cmdb_ci
        CHG0030001,Patch mail,Normal,3 - Moderate,Closed,approved,1/3/2026 10:00,28/2/2026 09:00,2/3/2026 22:00,2/3/2026 23:00,2/3/2026 22:05,2/3/2026 23:10,Successful with issues,CAB,Email,mx1
        CHG0030002,Upgrade VPN,Emergency,2 - High,Canceled,rejected,1/3/2026 11:00,28/2/2026 09:30,?,?,?,?,?,Network,VPN,vpn1
        CHG0030003,Rotate certs,Standard,4 - Low,Closed,not requested,?,27/2/2026 09:00,?,?,1/3/2026 01:00,1/3/2026 01:20,Backed out,Network,VPN,vpn1
        """,
    )
    [result] = warehouse.load(path)
    assert (result.adapter, result.rows_loaded, result.rows_quarantined) == ("servicenow:change_request", 3, 0)
    assert warehouse.rows(
        """select change_id, change_type, risk, service, ci, requested_at, approved_at, planned_start, actual_end,
                  state, close_code, assignment_group from raw.changes order by 1"""
    ) == [
        (
            "CHG0030001",
            "normal",
            "moderate",
            "Email",
            "mx1",
            datetime(2026, 2, 28, 9, 0, tzinfo=UTC),
            datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
            datetime(2026, 3, 2, 22, 0, tzinfo=UTC),
            datetime(2026, 3, 2, 23, 10, tzinfo=UTC),
            "closed",
            "successful_with_issues",
            "CAB",
        ),
        # a rejected approval is no approval; a cancelled change gets close_code cancelled
        (
            "CHG0030002",
            "emergency",
            "high",
            "VPN",
            "vpn1",
            datetime(2026, 2, 28, 9, 30, tzinfo=UTC),
            None,
            None,
            None,
            "cancelled",
            "cancelled",
            "Network",
        ),
        (
            "CHG0030003",
            "standard",
            "low",
            "VPN",
            "vpn1",
            datetime(2026, 2, 27, 9, 0, tzinfo=UTC),
            None,
            None,
            datetime(2026, 3, 1, 1, 20, tzinfo=UTC),
            "closed",
            "backed_out",
            "Network",
        ),
    ]


def test_servicenow_source_time_zone_applies_to_its_dates(warehouse, write):
    path = write(
        "incident.csv",
        """
        number,opened_at,state,priority
        INC1,1/7/2026 09:00,New,3 - Moderate
        """,
    )
    warehouse.load(path, source_timezones={"servicenow": "Europe/Amsterdam"})
    # 1 July 09:00 in Amsterdam is CEST (UTC+2) -> 07:00 UTC
    assert warehouse.one("select opened_at from raw.tickets") == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)


def test_updates_within_the_same_minute_become_one_net_change(warehouse, write):
    rows = [
        HEADER,
        snapshot("INC1", "New", 0, "u1", "1/3/2016 08:00", "3 - Moderate", "Group 1", "?"),
        snapshot("INC1", "Active", 1, "u2", "1/3/2016 08:53", "3 - Moderate", "Group 1", "Ann"),
        snapshot("INC1", "Awaiting User Info", 2, "u3", "1/3/2016 08:53", "3 - Moderate", "Group 1", "Ann"),
        snapshot("INC1", "Active", 3, "u4", "1/3/2016 09:10", "3 - Moderate", "Group 2", "Ann"),
        snapshot("INC1", "Active", 4, "u5", "1/3/2016 09:30", "3 - Moderate", "Group 3", "Ann"),
        snapshot("INC1", "Active", 5, "u6", "1/3/2016 09:30", "3 - Moderate", "Group 2", "Ann"),
    ]
    [result] = warehouse.load(write("incident_event_log.csv", "\n".join(rows) + "\n"))
    assert result.rows_loaded == 6
    assert warehouse.rows(
        "select event_at, field, from_value, to_value, actor from raw.ticket_events order by 1, 2"
    ) == [
        # 08:53: new -> in_progress -> awaiting_customer is one net change new -> awaiting_customer (by u3)
        (datetime(2016, 3, 1, 8, 53, tzinfo=UTC), "assignee", None, "Ann", "u3"),
        (datetime(2016, 3, 1, 8, 53, tzinfo=UTC), "state", "new", "awaiting_customer", "u3"),
        (datetime(2016, 3, 1, 9, 10, tzinfo=UTC), "assignment_group", "Group 1", "Group 2", "u4"),
        (datetime(2016, 3, 1, 9, 10, tzinfo=UTC), "state", "awaiting_customer", "in_progress", "u4"),
        # 09:30: Group 2 -> 3 -> 2 within the minute nets to no change: no event
    ]
    assert (
        warehouse.one(
            "select count(*) from raw.ticket_events group by ticket_id, event_at, field order by 1 desc limit 1"
        )
        == 1
    )
