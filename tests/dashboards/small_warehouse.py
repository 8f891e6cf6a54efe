"""A tiny warehouse with hand-made mart rows, so every number on the page can be computed by hand.

Only the columns `dashboards/queries.py` reads are created; their names follow the marts' yml. Reference data is
the real seed CSVs (kpi_targets, services, improvement_register), loaded as dbt would into `reference`.

Two months (May and June 2026), two services (email, vpn), two groups (G1 email, G2 vpn).
Hand-computed figures the tests assert (June is the latest month):

- resolution SLA attainment June: met T5, T8; breached T6, T7, T9 (open past target) -> 2 / 5 = 40 %;
  May: met T1, T3, T4; breached T2 -> 3 / 4 = 75 %. email June: T5 met, T6 breached -> 50 %.
- MTTR median (business h, by resolved month): May {2, 10, 4, 6} -> (4 + 6) / 2 = 5; June {3, 12, 20, 5}
  -> (5 + 12) / 2 = 8.5. Target 8, amber 2, lower is better -> 8.5 is amber.
- FCR: May 3 of 4 = 75 %, June T5, T8 of 4 = 50 %. Reopen: May 1/4 = 25 %, June 1/4 = 25 %.
- change success (email only): May 4/4 = 100 %, June 4/5 = 80 % (red vs 95 - 3); failure June 1/5 = 20 %.
- availability June: email 43200 agreed, 43.2 down; vpn 43200 agreed, 86.4 down
  -> (86400 - 129.6) / 86400 = 99.85 % (amber: 99.9 - 0.4 <= 99.85 < 99.9). May: 0 down -> 100 %.
- CSAT June {5, 4, 2, 3} -> 3.5 (red vs 4.2 - 0.3); NPS June {10, 9, 3, 7}: (2 - 1) / 4 = 25.
  May CSAT {5, 5} = 5.0, NPS 100. CSAT when SLA met (June: 5, 4) = 4.5, breached (2, 3) = 2.5.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.ingest.schema import ensure_raw_schema
from pipelines.settings import REFERENCE_DIR

SEEDS = ("kpi_targets", "services", "improvement_register")

# ticket_id, service, priority, group, category, opened, resolved (month or None), business h, fcr, reopens, sla
TICKETS = [
    ("T1", "email", 1, "G1", "network", "2026-05-04", "2026-05-01", 2.0, True, 0, "met"),
    ("T2", "email", 3, "G1", "network", "2026-05-05", "2026-05-01", 10.0, False, 1, "breached"),
    ("T3", "vpn", 3, "G2", "access", "2026-05-06", "2026-05-01", 4.0, True, 0, "met"),
    ("T4", "vpn", 3, "G2", "access", "2026-05-07", "2026-05-01", 6.0, True, 0, "met"),
    ("T5", "email", 1, "G1", "network", "2026-06-02", "2026-06-01", 3.0, True, 0, "met"),
    ("T6", "email", 3, "G1", "network", "2026-06-03", "2026-06-01", 12.0, False, 0, "breached"),
    ("T7", "vpn", 3, "G2", "access", "2026-06-04", "2026-06-01", 20.0, False, 1, "breached"),
    ("T8", "vpn", 3, "G2", "access", "2026-06-05", "2026-06-01", 5.0, True, 0, "met"),
    ("T9", "vpn", 3, "G2", "access", "2026-06-06", None, None, False, 0, "breached"),
]

# survey_id, ticket_id, service, priority, group, sent month, csat, nps, responded, sla state of the ticket
SURVEYS = [
    ("S1", "T1", "email", 1, "G1", "2026-05-01", 5, 10, True, "met"),
    ("S2", "T3", "vpn", 3, "G2", "2026-05-01", 5, 10, True, "met"),
    ("S5", "T5", "email", 1, "G1", "2026-06-01", 5, 10, True, "met"),
    ("S6", "T6", "email", 3, "G1", "2026-06-01", 2, 3, True, "breached"),
    ("S7", "T7", "vpn", 3, "G2", "2026-06-01", 3, 7, True, "breached"),
    ("S8", "T8", "vpn", 3, "G2", "2026-06-01", 4, 9, True, "met"),
    ("S9", "T9", "vpn", 3, "G2", "2026-06-01", None, None, False, "breached"),
]


def build_small_warehouse(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as conn:
        conn.execute("set TimeZone = 'UTC'")
        ensure_raw_schema(conn)
        conn.execute("create schema reference; create schema marts; create schema dq")
        for seed in SEEDS:
            conn.execute(
                f"create table reference.{seed} as select * from read_csv(?, header = true)",
                [str(REFERENCE_DIR / f"{seed}.csv")],
            )
        conn.execute(
            """create table marts.fct_incident (ticket_id varchar, service varchar, priority integer,
                 assignment_group varchar, category varchar, opened_at timestamptz, opened_month date,
                 resolved_month date, resolution_business_hours double, is_first_contact_resolution boolean,
                 reopen_count integer)"""
        )
        conn.execute("create table marts.fct_ticket_sla (ticket_id varchar, metric varchar, sla_state varchar)")
        for t in TICKETS:
            tid, service, prio, group, cat, opened, resolved, hours, fcr, reopens, sla = t
            conn.execute(
                "insert into marts.fct_incident values (?, ?, ?, ?, ?, ?, date_trunc('month', cast(? as date)),"
                " ?, ?, ?, ?)",
                [tid, service, prio, group, cat, opened, opened, resolved, hours, fcr, reopens],
            )
            conn.execute("insert into marts.fct_ticket_sla values (?, 'resolution', ?)", [tid, sla])
            conn.execute("insert into marts.fct_ticket_sla values (?, 'response', 'met')", [tid])
        conn.execute(
            """create table marts.fct_backlog_daily as select * from (values
                 (date '2026-06-29', 'vpn', 3, 'G2', '0-1', 1), (date '2026-06-29', 'email', 3, 'G1', '2-5', 2),
                 (date '2026-06-30', 'vpn', 3, 'G2', '2-5', 1), (date '2026-06-30', 'email', 3, 'G1', '6-30', 2)
               ) as t(snapshot_date, service, priority, assignment_group, age_bucket, open_tickets)"""
        )
        conn.execute(
            """create table marts.kpi_change_monthly as select * from (values
                 (date '2026-05-01', 'email', 'normal', 'G1', 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0),
                 (date '2026-06-01', 'email', 'normal', 'G1', 5, 5, 5, 4, 1, 1, 0, 1, 1, 0, 0, 0)
               ) as t(month, service, change_type, assignment_group, changes_total, changes_implemented,
                      changes_with_outcome, changes_successful, changes_causing_failure, changes_emergency,
                      changes_unauthorized, incidents_caused_p1, incidents_caused_p2, incidents_caused_p3,
                      incidents_caused_p4, changes_cancelled)"""
        )
        conn.execute(
            """create table marts.kpi_availability_monthly as select * from (values
                 (date '2026-05-01', 'email', 44640.0, 0.0, 0.999, 44.64),
                 (date '2026-05-01', 'vpn', 44640.0, 0.0, 0.999, 44.64),
                 (date '2026-06-01', 'email', 43200.0, 43.2, 0.999, 43.2),
                 (date '2026-06-01', 'vpn', 43200.0, 86.4, 0.999, 43.2)
               ) as t(month, service, agreed_minutes, downtime_minutes, availability_target, error_budget_minutes)"""
        )
        conn.execute(
            """create table marts.fct_survey (survey_id varchar, ticket_id varchar, service varchar,
                 priority integer, assignment_group varchar, sent_month date, csat_score integer,
                 nps_score integer, responded_at timestamptz, resolution_sla_state varchar)"""
        )
        for s in SURVEYS:
            sid, tid, service, prio, group, month, csat, nps, responded, sla = s
            conn.execute(
                "insert into marts.fct_survey values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [sid, tid, service, prio, group, month, csat, nps, month if responded else None, sla],
            )
        # dq.check_results as data_quality/results.py writes it (the columns the dashboards read).
        conn.execute(
            """create table dq.check_results (run_id varchar, check_name varchar, asset varchar, severity varchar,
                 passed boolean, observed_value double, failing_row_count bigint, failing_keys_sample varchar,
                 checked_at timestamptz, status varchar)"""
        )
        # tickets_priority_in_set failed in r1 but passed in r2: only the latest result counts.
        conn.execute(
            """insert into dq.check_results values
               ('r1', 'tickets_priority_in_set', 'raw.tickets', 'blocking', false, 2, 2, '["X1","X2"]',
                timestamptz '2026-07-01 08:00:00+00', 'failed'),
               ('r2', 'tickets_priority_in_set', 'raw.tickets', 'blocking', true, 0, 0, '[]',
                timestamptz '2026-07-02 08:00:00+00', 'passed'),
               ('r2', 'outage_start_before_end', 'raw.outages', 'blocking', false, 1, 1, '["O7"]',
                timestamptz '2026-07-02 08:00:00+00', 'failed'),
               ('r2', 'ticket_freshness', 'raw.tickets', 'warning', true, 3, 0, '[]',
                timestamptz '2026-07-02 08:00:00+00', 'passed')"""
        )
        conn.execute(
            """insert into raw.quarantine values
               ('a.csv', 'sha', 1, 'tickets', 3, 'X1,...', 'priority not in 1-4', now()),
               ('a.csv', 'sha', 1, 'tickets', 4, 'X2,...', 'priority not in 1-4', now()),
               ('c.csv', 'sha', 2, 'changes', 2, 'C9,...', 'unknown close_code', now())"""
        )
    return path
