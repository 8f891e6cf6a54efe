"""Dashboard benchmark: the static report over marts holding 1,000,000 tickets.

    .venv/bin/python bench/dashboards.py                    # 1,000,000 tickets
    .venv/bin/python bench/dashboards.py --tickets 100000 --keep /tmp/dash_bench
    .venv/bin/python bench/dashboards.py --warehouse warehouse/itsm.duckdb   # a warehouse built by `itsm run`

Builds, with DuckDB SQL, mart tables of the shape the dbt marts have (only the columns the dashboards read:
fct_incident, kpi_incident_monthly, fct_backlog_daily, kpi_change_monthly, kpi_availability_monthly,
kpi_satisfaction_monthly, dq.check_results, raw.quarantine, the reference seeds) for N tickets over 12 months,
8 services, 24 assignment groups, 12 categories, 3 channels. The monthly marts are rolled up from the synthetic
incident rows at the marts' grain. It does not run dbt: the SLA / availability benchmarks time the marts
themselves; this one times what the dashboards add on top: `write_report` (all queries + figures + HTML) and
one filtered app refresh.
Targets (issue 6): report under 10 s, file under 15 MB.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVICES = ["email", "erp", "payroll", "hr_portal", "vpn", "crm", "data_platform", "website"]


def build(path: Path, tickets: int) -> None:
    import duckdb

    from pipelines.ingest.schema import ensure_raw_schema
    from pipelines.settings import REFERENCE_DIR

    conn = duckdb.connect(str(path))
    conn.execute("set TimeZone = 'UTC'")
    ensure_raw_schema(conn)
    conn.execute("create schema reference; create schema marts; create schema dq")
    for seed in ("kpi_targets", "services", "improvement_register"):
        conn.execute(
            f"create table reference.{seed} as select * from read_csv(?, header = true)",
            [str(REFERENCE_DIR / f"{seed}.csv")],
        )
    services = "['" + "', '".join(SERVICES) + "']"
    # Deterministic pseudo-random columns from hash(i): the same warehouse every run.
    conn.execute(
        f"""
        create table marts.fct_incident as
        with base as (
            select i, hash(i) as h, timestamptz '2025-12-01 00:00:00+00'
                   + to_seconds(cast((hash(i * 7) % (365 * 86400)) as bigint)) as opened_at
            from range({tickets}) t(i)
        )
        select 'INC' || lpad(cast(i as varchar), 9, '0') as ticket_id, opened_at,
               1 + cast((h >> 8) % 4 as integer) as priority,
               {services}[1 + cast(h % 8 as integer)] as service,
               'category_' || cast((h >> 24) % 12 as varchar) as category,
               'group_' || cast((h >> 16) % 24 as varchar) as assignment_group,
               ['phone', 'email', 'portal'][1 + cast((h >> 28) % 3 as integer)] as channel,
               (h >> 32) % 20 <> 0 as is_resolved,
               case when (h >> 32) % 20 <> 0 then ((h >> 40) % 200) / 3.0 end as resolve_business_hours,
               cast((h >> 52) % 25 = 0 as integer) as reopens,
               (h >> 32) % 20 <> 0 and (h >> 48) % 10 < 7 as is_first_contact_resolution,
               case when (h >> 32) % 20 = 0 then 'in_progress' when (h >> 56) % 100 < 92 then 'met'
                    else 'breached' end as resolution_sla_state,
               case when (h >> 60) % 10 < 9 then 'met' else 'breached' end as response_sla_state,
               case when (h >> 32) % 20 <> 0 then 'resolved' else 'in_progress' end as state
        from base"""
    )
    # The additive columns of kpi_incident_monthly, at the mart's grain.
    conn.execute(
        """
        create table marts.kpi_incident_monthly as
        select cast(date_trunc('month', opened_at) as date) as period_start, service, priority, assignment_group,
               category, channel, count(*) as incidents_opened,
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
        """
        create table marts.fct_backlog_daily as
        select d::date as calendar_date, s.service, p.priority,
               cast(hash(d, s.service, p.priority, 1) % 40 as bigint) as open_age_0_1,
               cast(hash(d, s.service, p.priority, 2) % 60 as bigint) as open_age_2_5,
               cast(hash(d, s.service, p.priority, 3) % 80 as bigint) as open_age_6_30,
               cast(hash(d, s.service, p.priority, 4) % 30 as bigint) as open_age_31_90,
               cast(hash(d, s.service, p.priority, 5) % 10 as bigint) as open_age_over_90
        from range(date '2025-12-01', date '2026-12-01', interval 1 day) r(d),
             (select unnest(?) as service) s, range(1, 5) p(priority)""",
        [SERVICES],
    )
    conn.execute(
        """
        create table marts.kpi_change_monthly as
        select m::date as month, s.service, t.change_type, 'group_' || cast(g.g as varchar) as assignment_group,
               40 as changes_total, 38 as changes_implemented, 36 as changes_with_outcome,
               34 - cast(hash(m, s.service, g.g) % 4 as integer) as changes_successful,
               cast(hash(m, g.g) % 3 as integer) as changes_causing_failure, 2 as changes_emergency,
               cast(hash(s.service, g.g) % 2 as integer) as changes_unauthorized, 1 as incidents_caused_p1,
               1 as incidents_caused_p2, 2 as incidents_caused_p3, 0 as incidents_caused_p4
        from range(date '2025-12-01', date '2026-12-01', interval 1 month) r(m),
             (select unnest(?) as service) s, (values ('standard'), ('normal'), ('emergency')) t(change_type),
             range(24) g(g)""",
        [SERVICES],
    )
    conn.execute(
        """
        create table marts.kpi_availability_monthly as
        select m::date as month, s.service, 720.0 as agreed_hours,
               (hash(m, s.service) % 100) / 60.0 as downtime_hours, 99.9 as target_pct, 0.72 as error_budget_hours,
               0.72 - (hash(m, s.service) % 100) / 60.0 as error_budget_remaining_hours,
               ((hash(m, s.service) % 100) / 60.0) / 0.72 as error_budget_burn_rate
        from range(date '2025-12-01', date '2026-12-01', interval 1 month) r(m), (select unnest(?) as service) s""",
        [SERVICES],
    )
    # Surveys for one incident in five, one in three answered, rolled up to kpi_satisfaction_monthly's grain.
    conn.execute(
        """
        create table marts.kpi_satisfaction_monthly as
        with surveys as (
            select cast(date_trunc('month', opened_at) as date) as month, service, assignment_group, priority,
                   hash(ticket_id) % 3 = 0 as responded, resolution_sla_state as sla_outcome,
                   case when hash(ticket_id) % 3 = 0 then 1 + cast(hash(ticket_id, 1) % 5 as integer) end as csat,
                   case when hash(ticket_id) % 3 = 0 then cast(hash(ticket_id, 2) % 11 as integer) end as nps
            from marts.fct_incident where hash(ticket_id, 4) % 5 = 0
        )
        select month, service, assignment_group, priority, count(*) as surveys_sent,
               count(*) filter (where responded) as responses, count(csat) as csat_responses,
               sum(csat) as csat_score_sum, count(nps) as nps_responses,
               count(*) filter (where nps >= 9) as promoters, count(*) filter (where nps <= 6) as detractors,
               count(csat) filter (where sla_outcome = 'met') as csat_responses_sla_met,
               avg(csat) filter (where sla_outcome = 'met') as csat_mean_sla_met,
               count(csat) filter (where sla_outcome = 'breached') as csat_responses_sla_breached,
               avg(csat) filter (where sla_outcome = 'breached') as csat_mean_sla_breached
        from surveys group by all"""
    )
    conn.execute(
        """
        create table dq.check_results as
        select 'run' || cast(r as varchar) as run_id, 'check_' || cast(c as varchar) as check_name,
               'raw.tickets' as asset, case when c % 4 = 0 then 'blocking' else 'warning' end as severity,
               c % 7 <> 0 as passed, cast(c as double) as observed_value,
               cast(c % 7 = 0 as bigint) as failing_row_count,
               '[]' as failing_keys_sample, timestamptz '2026-11-01 00:00:00+00' + to_hours(r) as checked_at,
               case when c % 7 <> 0 then 'passed' else 'failed' end as status,
               'freshness' as check_type, 'sql' as engine, 'limit 48 h (observed_value = age in hours)' as details
        from range(30) rr(r), range(40) cc(c)"""
    )
    conn.execute(
        """insert into raw.quarantine select 'f.csv', 'sha', 1, 'tickets', i, 'raw line', 'priority not in 1-4',
           timestamptz '2026-11-01 00:00:00+00' from range(5000) t(i)"""
    )
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="folder to keep the warehouse and report in (default: temp)")
    parser.add_argument(
        "--warehouse", type=Path, help="time the report on this existing warehouse (e.g. `itsm run` output) instead"
    )
    args = parser.parse_args()

    from dashboards.queries import Filters, open_warehouse
    from dashboards.report import write_report
    from dashboards.views import build_views

    work = args.keep or Path(tempfile.mkdtemp(prefix="dash_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    if args.warehouse:
        warehouse = args.warehouse
        with open_warehouse(warehouse) as wh:
            (tickets,) = wh.conn.execute("select count(*) from marts.fct_incident").fetchone()
        print(f"existing warehouse {warehouse}: {tickets:,} incidents in fct_incident")
    else:
        warehouse = work / "itsm.duckdb"
        warehouse.unlink(missing_ok=True)
        started = time.perf_counter()
        build(warehouse, args.tickets)
        print(f"marts for {args.tickets:,} tickets built in {time.perf_counter() - started:.1f} s")

    result = write_report(warehouse, work / "reports")
    print(f"report: {result.seconds:.2f} s, {result.size_bytes / 1e6:.2f} MB -> {result.path}")
    if result.problems:
        print("sources missing:", *result.problems, sep="\n  ")

    started = time.perf_counter()
    with open_warehouse(warehouse) as wh:
        build_views(wh, Filters(services=("vpn",), priorities=(1, 2)))
    print(f"one filtered app refresh (vpn, P1-P2): {time.perf_counter() - started:.2f} s")

    ok = result.seconds < 10 and result.size_bytes < 15_000_000
    print(f"targets (report < 10 s, file < 15 MB): {'met' if ok else 'MISSED'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
