"""All SQL the dashboards run: marts in, small aggregated frames out (the columns `figures.py` documents).

This is the only module that knows mart table and column names. Every query:
- reads aggregates or aggregates in DuckDB (never pulls ticket rows into Python), so a report over 1M tickets stays
  small and fast;
- applies the same `Filters` (period, service, priority, assignment group) where the mart has the dimension;
- tolerates a missing table or column (a mart not built yet): it returns an empty frame with the documented columns
  and records the reason in `Warehouse.problems`, so the page shows "no data for this selection" instead of failing.

Ratios are recomputed from additive counts (met / breached, successful / with outcome, downtime / agreed time)
rather than averaging ratios, and medians/p90 come from the fact rows, so any filter combination stays correct.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from data_quality.unclassified import Unclassified
from pipelines.warehouse import warehouse_connection

log = logging.getLogger(__name__)

MARTS = "marts"
REFERENCE = "reference"
# Marts the dashboards read; the Dagster report asset depends on exactly these.
MART_TABLES = (
    "fct_incident",
    "kpi_incident_monthly",
    "fct_backlog_daily",
    "kpi_change_monthly",
    "kpi_availability_monthly",
    "kpi_satisfaction_monthly",
    "kpi_restated_months",
    "kpi_service_monthly",
    "dq_unclassified_tickets",
)
REFERENCE_TABLES = ("kpi_targets", "services", "improvement_register")


@dataclass(frozen=True)
class Filters:
    """The selection every view honours. None or an empty tuple means "all"; months are inclusive."""

    start_month: date | None = None
    end_month: date | None = None
    services: tuple[str, ...] = ()
    priorities: tuple[int, ...] = ()
    groups: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = [
            f"period {self.start_month or 'start'} to {self.end_month or 'latest'}",
            f"services: {', '.join(self.services) or 'all'}",
            f"priorities: {', '.join(f'P{p}' for p in self.priorities) or 'all'}",
            f"groups: {', '.join(self.groups) or 'all'}",
        ]
        return "; ".join(parts)


def where_clause(
    filters: Filters,
    month: str | None,
    service: str | None = None,
    priority: str | None = None,
    group: str | None = None,
) -> tuple[str, list]:
    """SQL `where ...` and its parameters for the dimensions this source has (pass None for a missing one).

    A filter on a dimension the source lacks is ignored for that source (availability has no priority).
    """
    conditions: list[str] = []
    params: list = []
    if month is not None and filters.start_month is not None:
        conditions.append(f"{month} >= ?")
        params.append(filters.start_month)
    if month is not None and filters.end_month is not None:
        conditions.append(f"{month} <= ?")
        params.append(filters.end_month)
    for column, values in ((service, filters.services), (priority, filters.priorities), (group, filters.groups)):
        if column is not None and values:
            conditions.append(f"{column} in ({', '.join('?' for _ in values)})")
            params.extend(values)
    return ("where " + " and ".join(conditions)) if conditions else "", params


@dataclass
class Warehouse:
    """A read-only view of the warehouse for one page build. Collects what could not be read."""

    conn: duckdb.DuckDBPyConnection
    problems: list[str] = field(default_factory=list)

    def frame(self, sql: str, params: Sequence = (), columns: Sequence[str] = ()) -> pd.DataFrame:
        """Run one query; a missing table/column gives an empty frame with `columns` and a recorded problem."""
        try:
            result = self.conn.execute(sql, list(params)).df()
        except (duckdb.CatalogException, duckdb.BinderException) as err:
            first_line = str(err).splitlines()[0]
            if first_line not in self.problems:
                self.problems.append(first_line)
            log.warning("dashboard query skipped: %s", first_line)
            return pd.DataFrame(columns=list(columns))
        return result


@contextmanager
def open_warehouse(path: Path) -> Iterator[Warehouse]:
    """Open the DuckDB file read-only (the pipeline may be writing) and close it as soon as the page is built."""
    with warehouse_connection(Path(path), read_only=True) as conn:
        # A missing table must be an error, not DuckDB picking up a same-named Python object from this module.
        conn.execute("set python_enable_replacements = false")
        yield Warehouse(conn)


# --- reference data ------------------------------------------------------------------------------------------------

TARGET_COLUMNS = ["kpi", "service", "target", "direction", "amber_margin", "unit", "description"]


def kpi_targets(wh: Warehouse) -> pd.DataFrame:
    """All KPI targets (seed kpi_targets): `kpi`, `service` ('*' = default), `target`, `direction`, `amber_margin`,
    `unit`, `description`."""
    return wh.frame(
        f"select kpi, service, target, direction, amber_margin, unit, description from {REFERENCE}.kpi_targets",
        columns=TARGET_COLUMNS,
    )


def default_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """The '*' rows: the targets used for the overall (all-services) view."""
    return targets[targets["service"] == "*"].reset_index(drop=True) if len(targets) else targets


def target_value(targets: pd.DataFrame, kpi: str) -> float | None:
    rows = default_targets(targets)
    rows = rows[rows["kpi"] == kpi] if len(rows) else rows
    return float(rows["target"].iloc[0]) if len(rows) else None


def improvement_register(wh: Warehouse) -> pd.DataFrame:
    return wh.frame(
        f"""select initiative_id, initiative, service, kpi, start_date, owner
            from {REFERENCE}.improvement_register order by start_date, initiative_id""",
        columns=["initiative_id", "initiative", "service", "kpi", "start_date", "owner"],
    )


# --- filter choices ------------------------------------------------------------------------------------------------


def filter_options(wh: Warehouse) -> dict[str, list]:
    """Values offered by the app's filters: months with incidents, services with data (the scorecard's), priorities,
    assignment groups."""
    months = wh.frame(f"select distinct period_start as m from {MARTS}.kpi_incident_monthly order by 1", columns=["m"])
    services = wh.frame(
        f"select distinct service from {MARTS}.kpi_service_monthly order by 1",
        columns=["service"],
    )
    groups = wh.frame(
        f"""select distinct assignment_group from {MARTS}.kpi_incident_monthly where assignment_group is not null
            order by 1""",
        columns=["assignment_group"],
    )
    return {
        "months": [pd.Timestamp(m).date() for m in months["m"]],
        "services": [str(s) for s in services["service"]],
        "priorities": [1, 2, 3, 4],
        "groups": [str(g) for g in groups["assignment_group"]],
    }


# --- incidents and SLA ---------------------------------------------------------------------------------------------
# Incident KPIs follow the marts' cohort rule: an incident counts in the UTC month it was opened
# (kpi_incident_monthly.period_start). Additive counts come from kpi_incident_monthly; medians and p90 from the
# fct_incident rows, because a median cannot be rolled up from group medians.

INCIDENT_MONTH = "cast(date_trunc('month', opened_at) as date)"


def _and(where: str) -> str:
    return "and" if where else "where"


def sla_attainment_monthly(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`month`, `priority`, `met`, `breached`, `attainment_pct` of the resolution SLA.

    Open incidents already past their target count as breached (the marts' rule); running and cancelled clocks
    are in neither count.
    """
    where, params = where_clause(f, "period_start", "service", "priority", "assignment_group")
    return wh.frame(
        f"""
        select period_start as month, priority,
               sum(resolution_sla_met) as met, sum(resolution_sla_breached) as breached,
               100.0 * sum(resolution_sla_met) / nullif(sum(resolution_sla_met) + sum(resolution_sla_breached), 0)
                 as attainment_pct
        from {MARTS}.kpi_incident_monthly {where}
        group by all having sum(resolution_sla_met) + sum(resolution_sla_breached) > 0
        order by month, priority""",
        params,
        ["month", "priority", "met", "breached", "attainment_pct"],
    )


def mttr_monthly(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`month`, `resolved`, `mean_hours`, `median_hours`, `p90_hours`: business hours to resolve, incidents
    opened in the month and resolved."""
    where, params = where_clause(f, INCIDENT_MONTH, "service", "priority", "assignment_group")
    return wh.frame(
        f"""
        select {INCIDENT_MONTH} as month, count(*) as resolved,
               avg(resolve_business_hours) as mean_hours,
               median(resolve_business_hours) as median_hours,
               quantile_cont(resolve_business_hours, 0.9) as p90_hours
        from {MARTS}.fct_incident
        {where} {_and(where)} is_resolved and resolve_business_hours is not null
        group by all order by month""",
        params,
        ["month", "resolved", "mean_hours", "median_hours", "p90_hours"],
    )


# fct_backlog_daily age-bucket columns -> their labels in days since opening.
AGE_BUCKETS = {
    "open_age_0_1": "0-1",
    "open_age_2_5": "2-5",
    "open_age_6_30": "6-30",
    "open_age_31_90": "31-90",
    "open_age_over_90": ">90",
}


def backlog_daily(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`snapshot_date`, `age_bucket`, `open_tickets` (open incidents at end of day) summed over the selection.

    The backlog mart has no assignment group: a group filter does not narrow it.
    """
    where, params = where_clause(f, "cast(date_trunc('month', calendar_date) as date)", "service", "priority")
    sums = ", ".join(f"sum({col}) as {col}" for col in AGE_BUCKETS)
    labels = " ".join(f"when '{col}' then '{label}'" for col, label in AGE_BUCKETS.items())
    return wh.frame(
        f"""
        select snapshot_date, case bucket {labels} end as age_bucket, open_tickets
        from (
            select calendar_date as snapshot_date, {sums} from {MARTS}.fct_backlog_daily {where} group by all
        ) unpivot (open_tickets for bucket in ({", ".join(AGE_BUCKETS)}))
        order by snapshot_date, age_bucket""",
        params,
        ["snapshot_date", "age_bucket", "open_tickets"],
    )


def top_breaching(wh: Warehouse, f: Filters, dimension: str, limit: int = 10) -> pd.DataFrame:
    """`label`, `breached`, `total`, `breach_pct` of resolution SLAs by service, assignment_group or category."""
    if dimension not in ("service", "assignment_group", "category"):
        raise ValueError(f"unsupported dimension {dimension!r}")
    where, params = where_clause(f, "period_start", "service", "priority", "assignment_group")
    return wh.frame(
        f"""
        select coalesce(cast({dimension} as varchar), '(none)') as label,
               sum(resolution_sla_breached) as breached,
               sum(resolution_sla_met) + sum(resolution_sla_breached) as total,
               100.0 * sum(resolution_sla_breached)
                 / nullif(sum(resolution_sla_met) + sum(resolution_sla_breached), 0) as breach_pct
        from {MARTS}.kpi_incident_monthly {where}
        group by all having sum(resolution_sla_breached) > 0
        order by breached desc, label limit {int(limit)}""",
        params,
        ["label", "breached", "total", "breach_pct"],
    )


# --- changes -------------------------------------------------------------------------------------------------------


def change_rates_monthly(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`month`, `implemented`, `success_pct`, `failure_pct`, `emergency_pct`, `unauthorized_pct` from the
    additive counts of kpi_change_monthly (priority does not apply to changes)."""
    where, params = where_clause(f, "month", "service", None, "assignment_group")
    return wh.frame(
        f"""
        select month, sum(changes_implemented) as implemented,
               100.0 * sum(changes_successful) / nullif(sum(changes_with_outcome), 0) as success_pct,
               100.0 * sum(changes_causing_failure) / nullif(sum(changes_implemented), 0) as failure_pct,
               100.0 * sum(changes_emergency) / nullif(sum(changes_total), 0) as emergency_pct,
               100.0 * sum(changes_unauthorized) / nullif(sum(changes_implemented), 0) as unauthorized_pct
        from {MARTS}.kpi_change_monthly {where}
        group by all order by month""",
        params,
        ["month", "implemented", "success_pct", "failure_pct", "emergency_pct", "unauthorized_pct"],
    )


def incidents_caused_by_changes(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`month`, `priority`, `incidents`: incidents explicitly linked to changes of the selection, by priority."""
    where, params = where_clause(f, "month", "service", None, "assignment_group")
    priority_filter = ""
    if f.priorities:
        priority_filter = f"where priority in ({', '.join(str(int(p)) for p in f.priorities)})"
    return wh.frame(
        f"""
        with by_month as (
            select month, sum(incidents_caused_p1) as p1, sum(incidents_caused_p2) as p2,
                   sum(incidents_caused_p3) as p3, sum(incidents_caused_p4) as p4
            from {MARTS}.kpi_change_monthly {where} group by all
        ),
        long as (
            select month, 1 as priority, p1 as incidents from by_month
            union all select month, 2, p2 from by_month
            union all select month, 3, p3 from by_month
            union all select month, 4, p4 from by_month
        )
        select * from long {priority_filter} order by month, priority""",
        params,
        ["month", "priority", "incidents"],
    )


# --- availability --------------------------------------------------------------------------------------------------


# The availability mart has every reference service every day; the dashboards show the service-months with data
# (those of the scorecard), so another organisation's catalogue does not show as empty 100 % services.
AVAILABILITY_WITH_DATA = (
    f"{MARTS}.kpi_availability_monthly semi join {MARTS}.kpi_service_monthly using (service, month)"
)


def availability_by_service(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`service`, `agreed_minutes`, `downtime_minutes`, `availability_pct`, `target_pct` over the selected period."""
    where, params = where_clause(f, "month", "service")
    return wh.frame(
        f"""
        select service, 60 * sum(agreed_hours) as agreed_minutes, 60 * sum(downtime_hours) as downtime_minutes,
               100.0 * (sum(agreed_hours) - sum(downtime_hours)) / nullif(sum(agreed_hours), 0)
                 as availability_pct,
               max(target_pct) as target_pct
        from {AVAILABILITY_WITH_DATA} {where}
        group by all order by service""",
        params,
        ["service", "agreed_minutes", "downtime_minutes", "availability_pct", "target_pct"],
    )


def downtime_monthly(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`month`, `service`, `downtime_minutes`."""
    where, params = where_clause(f, "month", "service")
    return wh.frame(
        f"""select month, service, 60 * sum(downtime_hours) as downtime_minutes
            from {AVAILABILITY_WITH_DATA} {where} group by all order by month, service""",
        params,
        ["month", "service", "downtime_minutes"],
    )


def error_budget_latest(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`service`, `month`, `budget_minutes`, `budget_remaining_minutes`, `burn_rate` for the latest selected month."""
    where, params = where_clause(f, "month", "service")
    return wh.frame(
        f"""
        with selected as (select * from {AVAILABILITY_WITH_DATA} {where})
        select service, month, 60 * error_budget_hours as budget_minutes,
               60 * error_budget_remaining_hours as budget_remaining_minutes,
               error_budget_burn_rate as burn_rate
        from selected where month = (select max(month) from selected)
        order by service""",
        params,
        ["service", "month", "budget_minutes", "budget_remaining_minutes", "burn_rate"],
    )


# --- satisfaction --------------------------------------------------------------------------------------------------
# From kpi_satisfaction_monthly's additive counts (month = UTC month the survey was sent).


def satisfaction_monthly(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`month`, `sent`, `responses`, `response_rate_pct`, `csat_mean`, `nps`."""
    where, params = where_clause(f, "month", "service", "priority", "assignment_group")
    return wh.frame(
        f"""
        select month, sum(surveys_sent) as sent, sum(csat_responses) as responses,
               100.0 * sum(responses) / nullif(sum(surveys_sent), 0) as response_rate_pct,
               sum(csat_score_sum) / nullif(sum(csat_responses), 0) as csat_mean,
               100.0 * (sum(promoters) - sum(detractors)) / nullif(sum(nps_responses), 0) as nps
        from {MARTS}.kpi_satisfaction_monthly {where}
        group by all order by month""",
        params,
        ["month", "sent", "responses", "response_rate_pct", "csat_mean", "nps"],
    )


def csat_by_sla_outcome(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`sla_outcome` (met / breached), `csat_mean`, `responses` over the selection."""
    where, params = where_clause(f, "month", "service", "priority", "assignment_group")
    return wh.frame(
        f"""
        with sums as (
            select sum(csat_responses_sla_met) as met_n,
                   sum(csat_mean_sla_met * csat_responses_sla_met) as met_sum,
                   sum(csat_responses_sla_breached) as breached_n,
                   sum(csat_mean_sla_breached * csat_responses_sla_breached) as breached_sum
            from {MARTS}.kpi_satisfaction_monthly {where}
        )
        select * from (
            select 'met' as sla_outcome, met_sum / nullif(met_n, 0) as csat_mean, met_n as responses from sums
            union all
            select 'breached', breached_sum / nullif(breached_n, 0), breached_n from sums
        ) where responses > 0""",
        params,
        ["sla_outcome", "csat_mean", "responses"],
    )


# --- data quality --------------------------------------------------------------------------------------------------

DQ_COLUMNS = [
    "check_name",
    "asset",
    "severity",
    "status",
    "passed",
    "observed_value",
    "failing_row_count",
    "failing_keys_sample",
    "checked_at",
    "run_id",
    "check_type",
    "engine",
    "details",
]


def dq_latest_results(wh: Warehouse) -> pd.DataFrame:
    """The latest result of every (check, asset) in dq.check_results (append-only history).

    `status` is passed / failed / not_applicable / error; `passed` is null when the check was not applicable.
    """
    return wh.frame(
        """
        select check_name, asset, severity, status, passed, observed_value, failing_row_count,
               failing_keys_sample, checked_at, run_id, check_type, engine, details
        from dq.check_results
        qualify row_number() over (partition by check_name, asset order by checked_at desc, run_id desc) = 1
        order by (status = 'passed'), severity, check_name""",
        columns=DQ_COLUMNS,
    )


def dq_acknowledgements(wh: Warehouse) -> pd.DataFrame:
    """Every acknowledged value (dq.acknowledgements, append-only), newest first; none in a warehouse whose checks
    predate acknowledgements (not a problem: nothing was acknowledged there)."""
    columns = ["acknowledged_at", "check_name", "key", "reason", "acknowledged_by"]
    exists = wh.conn.execute(
        "select count(*) from duckdb_tables() where schema_name = 'dq' and table_name = 'acknowledgements'"
    ).fetchall()[0][0]
    if not exists:
        return pd.DataFrame(columns=columns)
    return wh.frame(
        """select acknowledged_at, check_name, key, reason, acknowledged_by from dq.acknowledgements
           order by acknowledged_at desc, check_name, key""",
        columns=columns,
    )


def quarantine_counts(wh: Warehouse) -> pd.DataFrame:
    """`target_table`, `reason`, `rows` held in raw.quarantine."""
    return wh.frame(
        """select coalesce(target_table, '(unknown)') as target_table, reason, count(*) as rows
           from raw.quarantine group by all order by rows desc, target_table, reason""",
        columns=["target_table", "reason", "rows"],
    )


def unclassified_tickets(wh: Warehouse) -> pd.DataFrame:
    """`reason`, `line` ("1,234 tickets matched no SLA policy ... (e.g. INC001, ...)"), `tickets` for every reason
    with tickets (marts.dq_unclassified_tickets, worded as in the `itsm run` summary)."""
    frame = wh.frame(
        f"""select reason, description, ticket_count, sample_ticket_ids from {MARTS}.dq_unclassified_tickets
            where ticket_count > 0 order by ticket_count desc, reason""",
        columns=["reason", "description", "ticket_count", "sample_ticket_ids"],
    )
    rows = [
        (r.reason, Unclassified(r.reason, r.description, int(r.ticket_count), r.sample_ticket_ids).line, r.ticket_count)
        for r in frame.itertuples()
    ]
    return pd.DataFrame(rows, columns=["reason", "line", "tickets"])


def restated_months(wh: Warehouse) -> pd.DataFrame:
    """Closed months whose KPIs moved since they were reported (audit mart kpi_restated_months):
    `period_month`, `closed_at`, `kpis_restated`, `kpis_compared`."""
    return wh.frame(
        f"""select period_month, closed_at, kpis_restated, kpis_compared from {MARTS}.kpi_restated_months
            where is_restated order by period_month""",
        columns=["period_month", "closed_at", "kpis_restated", "kpis_compared"],
    )


def blocking_failures(dq: pd.DataFrame) -> pd.DataFrame:
    """Latest results of blocking checks that failed or errored: numbers on the page may be wrong.

    (A blocking check that errored is treated like a failure, as the data-quality gate does.)
    """
    if len(dq) == 0:
        return dq
    return dq[(dq["severity"] == "blocking") & dq["status"].isin(["failed", "error"])]


# --- KPIs by month (tiles and continual improvement) --------------------------------------------------------------

KPI_LONG_COLUMNS = ["kpi", "month", "value", "weight"]
BREAKDOWN_COLUMNS = ["dimension", "member", *KPI_LONG_COLUMNS]
# Dimensions a KPI can be broken down by, to name the driver of a change (services, groups, categories).
DRIVER_DIMENSIONS = ("service", "assignment_group", "category")


def _levels(month: str, dims: Sequence[str]) -> tuple[str, str]:
    """Select list (dimension, member, month) and GROUP BY for the all-rows level plus one level per dimension.

    GROUPING SETS compute every level in one scan and keep medians exact at each level; GROUPING() tells a level's
    NULL apart from a NULL value in the data (dimension is NULL only on the overall rows).
    """
    dimension = " ".join(f"when grouping({d}) = 0 then '{d}'" for d in dims)
    member = " ".join(f"when grouping({d}) = 0 then cast({d} as varchar)" for d in dims)
    select = f"case {dimension} end as dimension, case {member} end as member, {month} as month"
    group = "group by grouping sets ((" + month + "), " + ", ".join(f"({d}, {month})" for d in dims) + ")"
    return select, group


def _kpi_long_sql(f: Filters) -> list[tuple[str, list]]:
    """One SQL per source giving rows (dimension, member, month, kpi, value, weight), kpi names as in
    kpi_targets.kpi; dimension is NULL on the all-rows level."""
    inc_where, inc_params = where_clause(f, INCIDENT_MONTH, "service", "priority", "assignment_group")
    kpi_where, kpi_params = where_clause(f, "period_start", "service", "priority", "assignment_group")
    change_where, change_params = where_clause(f, "month", "service", None, "assignment_group")
    avail_where, avail_params = where_clause(f, "month", "service")
    survey_where, survey_params = where_clause(f, "month", "service", "priority", "assignment_group")
    inc_levels, inc_group = _levels(INCIDENT_MONTH, DRIVER_DIMENSIONS)
    kpi_levels, kpi_group = _levels("period_start", DRIVER_DIMENSIONS)
    change_levels, change_group = _levels("month", ("service", "assignment_group"))
    avail_levels, avail_group = _levels("month", ("service",))
    survey_levels, survey_group = _levels("month", ("service", "assignment_group"))
    outer = "select dimension, member, month, kpi, value"
    return [
        (
            f"""
            select {inc_levels}, 'mttr_business_hours_median' as kpi,
                   median(resolve_business_hours) as value, count(*) as weight
            from {MARTS}.fct_incident
            {inc_where} {_and(inc_where)} is_resolved and resolve_business_hours is not null
            {inc_group}""",
            inc_params,
        ),
        (
            f"""
            {outer},
                   case kpi when 'sla_resolution_attainment_pct' then resolution_n
                            when 'sla_response_attainment_pct' then response_n
                            else resolved_n end as weight
            from (
                select {kpi_levels},
                       100.0 * sum(resolution_sla_met)
                         / nullif(sum(resolution_sla_met) + sum(resolution_sla_breached), 0)
                         as sla_resolution_attainment_pct,
                       100.0 * sum(response_sla_met)
                         / nullif(sum(response_sla_met) + sum(response_sla_breached), 0)
                         as sla_response_attainment_pct,
                       100.0 * sum(first_contact_resolutions) / nullif(sum(incidents_resolved), 0) as fcr_pct,
                       100.0 * sum(resolved_reopened) / nullif(sum(incidents_ever_resolved), 0) as reopen_pct,
                       sum(resolution_sla_met) + sum(resolution_sla_breached) as resolution_n,
                       sum(response_sla_met) + sum(response_sla_breached) as response_n,
                       sum(incidents_resolved) as resolved_n
                from {MARTS}.kpi_incident_monthly {kpi_where}
                {kpi_group}
            ) unpivot (value for kpi in (sla_resolution_attainment_pct, sla_response_attainment_pct, fcr_pct,
                                         reopen_pct))""",
            kpi_params,
        ),
        (
            f"""
            {outer}, weight from (
                select {change_levels}, sum(changes_with_outcome) as weight,
                       100.0 * sum(changes_successful) / nullif(sum(changes_with_outcome), 0) as change_success_pct,
                       100.0 * sum(changes_causing_failure) / nullif(sum(changes_implemented), 0)
                         as change_failure_pct
                from {MARTS}.kpi_change_monthly {change_where} {change_group}
            ) unpivot (value for kpi in (change_success_pct, change_failure_pct))""",
            change_params,
        ),
        (
            f"""
            select {avail_levels}, 'availability_pct' as kpi,
                   100.0 * (sum(agreed_hours) - sum(downtime_hours)) / nullif(sum(agreed_hours), 0) as value,
                   sum(agreed_hours) as weight
            from {MARTS}.kpi_availability_monthly {avail_where} {avail_group}""",
            avail_params,
        ),
        (
            f"""
            {outer}, weight from (
                select {survey_levels}, sum(csat_responses) as weight,
                       sum(csat_score_sum) / nullif(sum(csat_responses), 0) as csat_mean,
                       100.0 * (sum(promoters) - sum(detractors)) / nullif(sum(nps_responses), 0) as nps
                from {MARTS}.kpi_satisfaction_monthly {survey_where} {survey_group}
            ) unpivot (value for kpi in (csat_mean, nps))""",
            survey_params,
        ),
    ]


def kpi_monthly(wh: Warehouse, f: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every KPI with a target, by month: (overall, breakdown) long frames.

    overall: `kpi`, `month`, `value`, `weight`.
    breakdown: `dimension` (service / assignment_group / category), `member`, `kpi`, `month`, `value`, `weight`.
    `weight` is the volume behind the value (resolved incidents, decided SLAs, changes with an outcome, agreed
    hours, CSAT responses); the continual-improvement view uses it to find the driver of a change.
    """
    frames = [fr for sql, params in _kpi_long_sql(f) if len(fr := wh.frame(sql, params, BREAKDOWN_COLUMNS))]
    if not frames:
        return pd.DataFrame(columns=KPI_LONG_COLUMNS), pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    result = pd.concat([fr[BREAKDOWN_COLUMNS] for fr in frames], ignore_index=True)
    result["value"] = result["value"].astype(float)
    result["weight"] = result["weight"].astype(float)
    is_overall = result["dimension"].isna()
    overall = result[is_overall][KPI_LONG_COLUMNS].sort_values(["kpi", "month"], ignore_index=True)
    breakdown = result[~is_overall].sort_values(["dimension", "member", "kpi", "month"], ignore_index=True)
    return overall, breakdown


def by_service(breakdown: pd.DataFrame) -> pd.DataFrame:
    """The service level of a breakdown frame: `service`, `kpi`, `month`, `value`, `weight`."""
    rows = breakdown[breakdown["dimension"] == "service"] if len(breakdown) else breakdown
    return rows.rename(columns={"member": "service"})[["service", *KPI_LONG_COLUMNS]].reset_index(drop=True)


# --- what the data covers (the "about this data" strip, partial months, tickets open at export) -------------------

# An incident still open: not resolved, and not ended otherwise (fct_backlog_daily's rule: a never-resolved ticket
# leaves the backlog when it is closed or cancelled).
STILL_OPEN = "not is_resolved and coalesce(state, '') not in ('closed', 'cancelled')"


@dataclass(frozen=True)
class DataExtent:
    """What the page's numbers cover.

    export_instant: the latest `raw.load_log.exported_at` of a loaded file: when the source tool exported the
    data (the run's "now", DECISIONLOG.md), not the largest timestamp inside the data. None before anything is loaded.
    first_month / last_month: the first and last month with incidents, changes, availability or surveys.
    open_at_export: incidents still open at the export instant (service, priority and group filters apply).
    """

    export_instant: pd.Timestamp | None
    first_month: date | None
    last_month: date | None
    open_at_export: int

    @property
    def partial_from(self) -> date | None:
        """The first month that was not complete at the export instant (the export's own month): it and every
        later month (e.g. changes planned after the export) are partial. None when the export is unknown."""
        if self.export_instant is None:
            return None
        return pd.Timestamp(self.export_instant).tz_convert("UTC").replace(day=1).date()

    @property
    def last_complete_month(self) -> date | None:
        if self.partial_from is None:
            return self.last_month
        complete = (pd.Timestamp(self.partial_from) - pd.DateOffset(months=1)).date()
        return complete if self.last_month is None else min(complete, self.last_month)

    def partial_months(self) -> list[date]:
        """Months holding data that were not complete at the export instant."""
        if self.partial_from is None or self.last_month is None or self.last_month < self.partial_from:
            return []
        return [m.date() for m in pd.date_range(self.partial_from, self.last_month, freq="MS")]


def export_instant(wh: Warehouse) -> pd.Timestamp | None:
    """max(raw.load_log.exported_at) over the files that were loaded (skipped and rejected files add no data)."""
    frame = wh.frame(
        "select max(exported_at) as exported_at from raw.load_log where status = 'loaded'", columns=["exported_at"]
    )
    value = frame["exported_at"].iloc[0] if len(frame) else None
    return None if value is None or pd.isna(value) else pd.Timestamp(value).tz_convert("UTC")


def data_extent(wh: Warehouse, f: Filters) -> DataExtent:
    """The export instant, the months with data in the monthly marts, and the incidents still open at export."""
    inc_where, inc_params = where_clause(f, None, "service", "priority", "assignment_group")
    months = wh.frame(
        f"""
        select min(m) as first_month, max(m) as last_month from (
            select period_start as m from {MARTS}.kpi_incident_monthly
            union all select month from {MARTS}.kpi_change_monthly
            union all select month from {MARTS}.kpi_availability_monthly
            union all select month from {MARTS}.kpi_satisfaction_monthly
        )""",
        columns=["first_month", "last_month"],
    )
    still_open = wh.frame(
        f"select count(*) as n from {MARTS}.fct_incident {inc_where} {_and(inc_where)} {STILL_OPEN}",
        inc_params,
        ["n"],
    )

    def month(column: str) -> date | None:
        value = months[column].iloc[0] if len(months) else None
        return None if value is None or pd.isna(value) else pd.Timestamp(value).date()

    return DataExtent(
        export_instant=export_instant(wh),
        first_month=month("first_month"),
        last_month=month("last_month"),
        open_at_export=int(still_open["n"].iloc[0]) if len(still_open) else 0,
    )


def still_open_daily(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """`snapshot_date`, `open_tickets`: of each day's backlog, the incidents still open at the export instant.

    fct_backlog_daily has no such split, so it is computed here from fct_incident: a still-open incident is in the
    backlog from its opening day on, so the count on day d is the number of still-open incidents opened on or
    before d (opening day in UTC; the mart uses the support calendar's local day, at most a day apart). Days are
    those of the backlog mart for the same selection.
    """
    day_where, day_params = where_clause(f, "cast(date_trunc('month', calendar_date) as date)", "service", "priority")
    inc_where, inc_params = where_clause(f, None, "service", "priority")
    return wh.frame(
        f"""
        with days as (select distinct calendar_date as d from {MARTS}.fct_backlog_daily {day_where}),
        opened as (
            select cast(opened_at as date) as d, count(*) as n
            from {MARTS}.fct_incident {inc_where} {_and(inc_where)} {STILL_OPEN}
            group by all
        )
        select days.d as snapshot_date,
               coalesce(sum(opened.n), 0) as open_tickets
        from days left join opened on opened.d <= days.d
        group by days.d order by days.d""",
        [*day_params, *inc_params],
        ["snapshot_date", "open_tickets"],
    )
