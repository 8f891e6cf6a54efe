"""A tiny warehouse with hand-made mart rows, so every number on the page can be computed by hand.

Only the columns `dashboards/queries.py` reads are created; their names follow the marts' yml
(fct_incident, kpi_incident_monthly, fct_backlog_daily, kpi_change_monthly, kpi_availability_monthly,
kpi_satisfaction_monthly). The monthly marts are rolled up here from the rows with the marts' own rules.
Reference data is the real seed CSVs (kpi_targets, services, improvement_register), loaded into `reference`.

Two months (May and June 2026), two services (email, vpn), two groups (G1 email, G2 vpn).
Hand-computed figures the tests assert (June is the latest month):

- resolution SLA attainment June: met T5, T8; breached T6, T7, T9 (open past target) -> 2 / 5 = 40 %;
  May: met T1, T3, T4; breached T2 -> 3 / 4 = 75 %. email June: T5 met, T6 breached -> 50 %.
- MTTR median (business h, by resolved month): May {2, 10, 4, 6} -> (4 + 6) / 2 = 5; June {3, 12, 20, 5}
  -> (5 + 12) / 2 = 8.5. Target 8, amber 2, lower is better -> 8.5 is amber.
- FCR: May 3 of 4 = 75 %, June T5, T8 of 4 = 50 %. Reopen: May 1/4 = 25 %, June 1/4 = 25 %.
- change success (email only): May 4/4 = 100 %, June 4/5 = 80 % (red vs 95 - 3); failure June 1/5 = 20 %.
- availability June (hours): email 720 agreed, 0.72 down; vpn 720 agreed, 1.44 down
  -> (1440 - 2.16) / 1440 = 99.85 % (amber: 99.9 - 0.4 <= 99.85 < 99.9). May: 0 down -> 100 %.
- CSAT June {5, 4, 2, 3} -> 3.5 (red vs 4.2 - 0.3); NPS June {10, 9, 3, 7}: (2 - 1) / 4 = 25.
  May CSAT {5, 5} = 5.0, NPS 100. CSAT when SLA met (June: 5, 4) = 4.5, breached (2, 3) = 2.5.
- export instant: 2026-07-01 00:00 UTC (the latest exported_at of a loaded file), so June is complete.
  Incidents open at export: T9 only (unresolved, in progress) -> 1; it opened 6 June.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from data_quality.results import ensure_results_table
from pipelines.ingest.schema import ensure_raw_schema
from pipelines.settings import REFERENCE_DIR

SEEDS = ("kpi_targets", "services", "improvement_register")

# ticket_id, service, priority, group, category, opened (date), resolved (month or None), business h, fcr,
# reopens, resolution SLA state
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
            """create table marts.fct_incident (ticket_id varchar, opened_at timestamptz, priority integer,
                 service varchar, category varchar, assignment_group varchar, is_resolved boolean,
                 resolve_business_hours double, reopens integer, is_first_contact_resolution boolean,
                 resolution_sla_state varchar, response_sla_state varchar, state varchar)"""
        )
        for tid, service, prio, group, cat, opened, resolved, hours, fcr, reopens, sla in TICKETS:
            conn.execute(
                "insert into marts.fct_incident values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'met', ?)",
                [
                    tid,
                    f"{opened} 10:00:00+00",
                    prio,
                    service,
                    cat,
                    group,
                    resolved is not None,
                    hours,
                    reopens,
                    fcr,
                    sla,
                    "resolved" if resolved is not None else "in_progress",
                ],
            )
        # The additive columns of kpi_incident_monthly the dashboards read, rolled up as the mart does.
        conn.execute(
            """create table marts.kpi_incident_monthly as
               select cast(date_trunc('month', opened_at) as date) as period_start, service, priority,
                      assignment_group, category, 'portal' as channel,
                      count(*) filter (where is_resolved) as incidents_resolved,
                      count(*) filter (where resolution_sla_state = 'met') as resolution_sla_met,
                      count(*) filter (where resolution_sla_state = 'breached') as resolution_sla_breached,
                      count(*) filter (where response_sla_state = 'met') as response_sla_met,
                      count(*) filter (where response_sla_state = 'breached') as response_sla_breached,
                      count(*) filter (where is_first_contact_resolution) as first_contact_resolutions,
                      count(*) filter (where is_resolved or reopens > 0) as incidents_ever_resolved,
                      count(*) filter (where reopens > 0) as resolved_reopened
               from marts.fct_incident group by all"""
        )
        conn.execute(
            """create table marts.fct_backlog_daily as select * from (values
                 (date '2026-06-29', 'vpn', 3, 1, 0, 0, 0, 0), (date '2026-06-29', 'email', 3, 0, 2, 0, 0, 0),
                 (date '2026-06-30', 'vpn', 3, 0, 1, 0, 0, 0), (date '2026-06-30', 'email', 3, 0, 0, 2, 0, 0)
               ) as t(calendar_date, service, priority, open_age_0_1, open_age_2_5, open_age_6_30, open_age_31_90,
                      open_age_over_90)"""
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
                 (date '2026-05-01', 'email', 744.0, 0.0, 99.9, 0.744, 0.744, 0.0),
                 (date '2026-05-01', 'vpn', 744.0, 0.0, 99.9, 0.744, 0.744, 0.0),
                 (date '2026-06-01', 'email', 720.0, 0.72, 99.9, 0.72, 0.0, 1.0),
                 (date '2026-06-01', 'vpn', 720.0, 1.44, 99.9, 0.72, -0.72, 2.0)
               ) as t(month, service, agreed_hours, downtime_hours, target_pct, error_budget_hours,
                      error_budget_remaining_hours, error_budget_burn_rate)"""
        )
        conn.execute(
            """create table survey_rows (survey_id varchar, ticket_id varchar, service varchar, priority integer,
                 assignment_group varchar, month date, csat_score integer, nps_score integer, responded boolean,
                 sla_outcome varchar)"""
        )
        conn.executemany("insert into survey_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", SURVEYS)
        # The additive columns of kpi_satisfaction_monthly the dashboards read.
        conn.execute(
            """create table marts.kpi_satisfaction_monthly as
               select month, service, assignment_group, priority, count(*) as surveys_sent,
                      count(*) filter (where responded) as responses, count(csat_score) as csat_responses,
                      sum(csat_score) as csat_score_sum, count(nps_score) as nps_responses,
                      count(*) filter (where nps_score >= 9) as promoters,
                      count(*) filter (where nps_score <= 6) as detractors,
                      count(csat_score) filter (where sla_outcome = 'met') as csat_responses_sla_met,
                      avg(csat_score) filter (where sla_outcome = 'met') as csat_mean_sla_met,
                      count(csat_score) filter (where sla_outcome = 'breached') as csat_responses_sla_breached,
                      avg(csat_score) filter (where sla_outcome = 'breached') as csat_mean_sla_breached
               from survey_rows group by all"""
        )
        conn.execute("drop table survey_rows")
        # The scorecard's grain: one row per service and month with any data (the dashboards list these services).
        conn.execute(
            """create table marts.kpi_service_monthly as
               select distinct service, month from (
                   select service, cast(period_start as date) as month from marts.kpi_incident_monthly
                   union all select service, month from marts.kpi_change_monthly
                   union all select service, month from marts.kpi_availability_monthly
                   union all select service, month from marts.kpi_satisfaction_monthly)"""
        )
        # What could not be classified: T8 and T9 matched no SLA policy; every ticket named a service.
        conn.execute(
            """create table marts.dq_unclassified_tickets as select * from (values
                 ('no_service', 'named no service (counted under the unassigned service)', 0, null),
                 ('no_sla_policy', 'matched no SLA policy (no SLA clock)', 2, 'T8, T9')
               ) as t(reason, description, ticket_count, sample_ticket_ids)"""
        )
        # The audit mart's view of closed months: April and May closed, May's figures moved since.
        conn.execute(
            """create table marts.kpi_restated_months as select * from (values
                 (date '2026-04-01', 's1', timestamptz '2026-05-02 06:00:00+00', 12, 0, false),
                 (date '2026-05-01', 's2', timestamptz '2026-06-02 06:00:00+00', 12, 3, true)
               ) as t(period_month, snapshot_id, closed_at, kpis_compared, kpis_restated, is_restated)"""
        )
        # dq.check_results exactly as data_quality/results.py creates it.
        ensure_results_table(conn)
        # tickets_priority_in_set failed in r1 but passed in r2: only the latest result counts.
        conn.execute(
            """insert into dq.check_results (run_id, check_name, asset, severity, passed, observed_value,
                 failing_row_count, failing_keys_sample, checked_at, status, check_type, engine, details) values
               ('r1', 'tickets_priority_in_set', 'raw.tickets', 'blocking', false, 2, 2, '["X1","X2"]',
                timestamptz '2026-07-01 08:00:00+00', 'failed', 'in_set', 'great_expectations',
                'priority in 1, 2, 3, 4; 2 of 100 rows unexpected (observed_value = unexpected %)'),
               ('r2', 'tickets_priority_in_set', 'raw.tickets', 'blocking', true, 0, 0, '[]',
                timestamptz '2026-07-02 08:00:00+00', 'passed', 'in_set', 'great_expectations',
                'priority in 1, 2, 3, 4; 0 of 100 rows unexpected (observed_value = unexpected %)'),
               ('r2', 'outage_start_before_end', 'raw.outages', 'blocking', false, 12.5, 1, '["O7"]',
                timestamptz '2026-07-02 08:00:00+00', 'failed', 'ordered', 'great_expectations',
                'started_at <= ended_at; 1 of 8 rows unexpected (observed_value = unexpected %)'),
               ('r2', 'ticket_freshness', 'raw.tickets', 'warning', true, 3, 0, '[]',
                timestamptz '2026-07-02 08:00:00+00', 'passed', 'freshness', 'sql',
                'newest opened_at is 3.0 h old; limit 48 h (observed_value = age in hours)')"""
        )
        # Two loaded files exported at the first instant of July, and a rejected one (adds no data, so its later
        # export instant does not count): June is complete, nothing is partial.
        conn.execute(
            """insert into raw.load_log (load_id, source_file, file_sha256, status, started_at, exported_at) values
               (1, 'a.csv', 'sha-a', 'loaded', timestamptz '2026-07-01 06:00:00+00',
                timestamptz '2026-06-30 23:00:00+00'),
               (2, 'c.csv', 'sha-c', 'loaded', timestamptz '2026-07-01 06:00:00+00',
                timestamptz '2026-07-01 00:00:00+00'),
               (3, 'bad.csv', 'sha-b', 'rejected', timestamptz '2026-07-02 06:00:00+00',
                timestamptz '2026-07-02 06:00:00+00')"""
        )
        conn.execute(
            """insert into raw.quarantine values
               ('a.csv', 'sha', 1, 'tickets', 3, 'X1,...', 'priority not in 1-4', now()),
               ('a.csv', 'sha', 1, 'tickets', 4, 'X2,...', 'priority not in 1-4', now()),
               ('c.csv', 'sha', 2, 'changes', 2, 'C9,...', 'unknown close_code', now())"""
        )
    return path
