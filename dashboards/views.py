"""What each page shows: the sections, their figures and the tiles, built from queries + figure functions.

The static report (`report.py`) and the Dash app (`app.py`) both render a `Views` object, so the two cannot drift:
same sections, same figure builders, same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from dashboards import figures, improvement, queries
from dashboards.queries import Filters, Warehouse
from dashboards.status import Tile, build_tiles, format_value

# (section id, heading, figure ids in display order). Headings are what a reader (and the browser test) looks for.
SECTIONS: list[tuple[str, str, list[str]]] = [
    ("overview", "Overview", []),
    (
        "sla",
        "SLA and incidents",
        ["sla_attainment", "mttr", "backlog", "top_services", "top_groups", "top_categories"],
    ),
    ("changes", "Changes", ["change_rates", "change_incidents"]),
    ("availability", "Availability", ["availability", "downtime", "error_budget"]),
    ("satisfaction", "Satisfaction", ["csat_nps", "csat_sla"]),
    ("data_quality", "Data quality", ["dq_checks", "quarantine", "unclassified"]),
    ("improvement", "Continual improvement", ["wrong_way", "before_after"]),
]
FIGURE_IDS = [fid for _, _, ids in SECTIONS for fid in ids]


@dataclass
class Views:
    filters: Filters
    tiles: list[Tile]
    figures: dict[str, go.Figure]
    blocking_failures: pd.DataFrame
    dq_results: pd.DataFrame
    wrong_way: pd.DataFrame
    before_after: pd.DataFrame
    restated: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[str] = field(default_factory=list)

    def restated_note(self) -> str | None:
        """One sentence naming the closed months whose figures changed since they were reported, or None."""
        if len(self.restated) == 0:
            return None
        months = ", ".join(
            f"{pd.Timestamp(r.period_month):%b %Y} ({r.kpis_restated} of {r.kpis_compared} KPIs, "
            f"closed {pd.Timestamp(r.closed_at):%Y-%m-%d})"
            for r in self.restated.itertuples()
        )
        return f"Restated since their close: {months}. Figures shown are the current ones."


def build_views(wh: Warehouse, f: Filters) -> Views:
    """Run every query for the selection and build every figure (aggregates only, a few DuckDB scans)."""
    targets = queries.kpi_targets(wh)
    defaults = queries.default_targets(targets)
    target = lambda kpi: queries.target_value(targets, kpi)  # noqa: E731

    overall, breakdown = queries.kpi_monthly(wh, f)
    dq = queries.dq_latest_results(wh)
    wrong_way = improvement.wrong_way_moves(overall, breakdown, defaults)
    # Before/after reads every month of the initiative's service, whatever period or service is selected.
    register = queries.improvement_register(wh)
    all_months = Filters(priorities=f.priorities, groups=f.groups)
    history = breakdown if all_months == f else queries.kpi_monthly(wh, all_months)[1]
    before_after = improvement.before_after(queries.by_service(history), register, targets)

    figs = {
        "sla_attainment": figures.sla_attainment_trend(
            queries.sla_attainment_monthly(wh, f), target("sla_resolution_attainment_pct")
        ),
        "mttr": figures.mttr_trend(queries.mttr_monthly(wh, f), target("mttr_business_hours_median")),
        "backlog": figures.backlog_aging(queries.backlog_daily(wh, f)),
        "top_services": figures.top_breaching(queries.top_breaching(wh, f, "service"), "services"),
        "top_groups": figures.top_breaching(queries.top_breaching(wh, f, "assignment_group"), "assignment groups"),
        "top_categories": figures.top_breaching(queries.top_breaching(wh, f, "category"), "categories"),
        "change_rates": figures.change_rates_trend(
            queries.change_rates_monthly(wh, f), target("change_success_pct"), target("change_failure_pct")
        ),
        "change_incidents": figures.incidents_caused_by_changes(queries.incidents_caused_by_changes(wh, f)),
        "availability": figures.availability_vs_target(queries.availability_by_service(wh, f)),
        "downtime": figures.downtime_minutes(queries.downtime_monthly(wh, f)),
        "error_budget": figures.error_budget(queries.error_budget_latest(wh, f)),
        "csat_nps": figures.csat_nps_trend(queries.satisfaction_monthly(wh, f), target("csat_mean"), target("nps")),
        "csat_sla": figures.csat_by_sla_outcome(queries.csat_by_sla_outcome(wh, f), target("csat_mean")),
        "dq_checks": figures.dq_check_table(dq),
        "quarantine": figures.quarantine_counts(queries.quarantine_counts(wh)),
        "unclassified": figures.unclassified_tickets(queries.unclassified_tickets(wh)),
        "wrong_way": figures.wrong_way_kpis(wrong_way),
        "before_after": figures.improvement_before_after(before_after),
    }
    return Views(
        filters=f,
        tiles=build_tiles(overall, defaults),
        figures=figs,
        blocking_failures=queries.blocking_failures(dq),
        dq_results=dq,
        wrong_way=wrong_way,
        before_after=before_after,
        restated=queries.restated_months(wh),
        problems=list(wh.problems),
    )


REGISTER_HEADERS = ["id", "initiative", "service", "KPI", "start", "before", "after", "result"]


def register_rows(before_after: pd.DataFrame) -> list[list[str]]:
    """The improvement register with before/after values as display strings (report table and app table)."""
    return [
        [
            str(r.initiative_id),
            str(r.initiative),
            str(r.service),
            str(r.kpi),
            str(r.start_date),
            format_value(r.before, r.unit),
            format_value(r.after, r.unit),
            "n/a" if r.improved is None else ("improved" if r.improved else "not improved"),
        ]
        for r in before_after.itertuples()
    ]
