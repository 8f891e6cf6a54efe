"""What each page shows: the sections, their figures and the tiles, built from queries + figure functions.

The static report (`report.py`) and the Dash app (`app.py`) both render a `Views` object, so the two cannot drift:
same sections, same figure builders, same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from dashboards import figures, improvement, queries
from dashboards.dq_table import DqRow, dq_rows, dq_summary
from dashboards.queries import DataExtent, Filters, Warehouse
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
    ("data_quality", "Data quality", ["dq_acknowledgements", "quarantine", "unclassified"]),
    ("improvement", "Continual improvement", ["wrong_way", "before_after"]),
]
FIGURE_IDS = [fid for _, _, ids in SECTIONS for fid in ids]
# Figures with one point or bar per month: the partial-month rule applies to them and their note says so.
MONTHLY_FIGURES = (
    "sla_attainment",
    "mttr",
    "change_rates",
    "change_incidents",
    "downtime",
    "csat_nps",
)
# Figures over the whole selected period (sums of monthly marts): complete months only as well.
PERIOD_FIGURES = ("top_services", "top_groups", "top_categories", "availability", "error_budget", "csat_sla")


def _month(d: date) -> str:
    return f"{pd.Timestamp(d):%b %Y}"


def complete_months(f: Filters, extent: DataExtent) -> Filters:
    """The selection without the partial months (the export's month and later): every monthly figure, tile and
    month-over-month comparison reads complete months only, so a month cut short by the export never looks like a
    drop. The daily backlog is not cut (its last day is the export day)."""
    last = extent.last_complete_month
    if extent.partial_from is None or last is None:
        return f
    end = last if f.end_month is None else min(f.end_month, last)
    return replace(f, end_month=end)


def partial_month_note(extent: DataExtent) -> str | None:
    """The sentence under each monthly figure when partial months were left out, else None."""
    months = extent.partial_months()
    if not months:
        return None
    names = ", ".join(_month(m) for m in months)
    return f"Complete months only: {names} left out (partial at the export instant)"


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
    extent: DataExtent = field(default_factory=lambda: DataExtent(None, None, None, 0))
    dq_rows: list[DqRow] = field(default_factory=list)
    dq_summary: list[str] = field(default_factory=list)

    def about(self) -> list[tuple[str, str]]:
        """The "about this data" strip: (label, value) pairs in display order."""
        e = self.extent
        if e.first_month is None:
            period = "no data"
        else:
            last = e.last_complete_month or e.last_month
            period = f"{_month(e.first_month)} to {_month(last)}" if last and last >= e.first_month else "none"
            period += " (complete months)"
        export = "unknown (no file loaded)" if e.export_instant is None else f"{e.export_instant:%Y-%m-%d %H:%M} UTC"
        partial = partial_month_note(e)
        return [
            ("Period covered", period),
            ("Export instant", export),
            ("Incidents open at export", f"{e.open_at_export:,}"),
            (
                "Partial months",
                "none"
                if not partial
                else ", ".join(_month(m) for m in e.partial_months())
                + " (not complete at export): left out of monthly charts, tiles and comparisons; the backlog runs "
                "to the export day",
            ),
        ]

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

    extent = queries.data_extent(wh, f)
    fc = complete_months(f, extent)  # what monthly figures, tiles and comparisons read
    overall, breakdown = queries.kpi_monthly(wh, fc)
    dq = queries.dq_latest_results(wh)
    wrong_way = improvement.wrong_way_moves(overall, breakdown, defaults)
    # Before/after reads every month of the initiative's service, whatever period or service is selected.
    register = queries.improvement_register(wh)
    all_months = complete_months(Filters(priorities=f.priorities, groups=f.groups), extent)
    history = breakdown if all_months == fc else queries.kpi_monthly(wh, all_months)[1]
    before_after = improvement.before_after(queries.by_service(history), register, targets)
    quarantine = queries.quarantine_counts(wh)

    figs = {
        "sla_attainment": figures.sla_attainment_trend(
            queries.sla_attainment_monthly(wh, fc), target("sla_resolution_attainment_pct")
        ),
        "mttr": figures.mttr_trend(queries.mttr_monthly(wh, fc), target("mttr_business_hours_median")),
        "backlog": figures.backlog_aging(
            queries.backlog_daily(wh, f), queries.still_open_daily(wh, f), extent.export_instant
        ),
        "top_services": figures.top_breaching(queries.top_breaching(wh, fc, "service"), "services"),
        "top_groups": figures.top_breaching(queries.top_breaching(wh, fc, "assignment_group"), "assignment groups"),
        "top_categories": figures.top_breaching(queries.top_breaching(wh, fc, "category"), "categories"),
        "change_rates": figures.change_rates_trend(
            queries.change_rates_monthly(wh, fc), target("change_success_pct"), target("change_failure_pct")
        ),
        "change_incidents": figures.incidents_caused_by_changes(queries.incidents_caused_by_changes(wh, fc)),
        "availability": figures.availability_vs_target(queries.availability_by_service(wh, fc)),
        "downtime": figures.downtime_minutes(queries.downtime_monthly(wh, fc)),
        "error_budget": figures.error_budget(queries.error_budget_latest(wh, fc)),
        "csat_nps": figures.csat_nps_trend(queries.satisfaction_monthly(wh, fc), target("csat_mean"), target("nps")),
        "csat_sla": figures.csat_by_sla_outcome(queries.csat_by_sla_outcome(wh, fc), target("csat_mean")),
        "dq_acknowledgements": figures.dq_acknowledgements(queries.dq_acknowledgements(wh)),
        "quarantine": figures.quarantine_counts(quarantine),
        "unclassified": figures.unclassified_tickets(queries.unclassified_tickets(wh)),
        "wrong_way": figures.wrong_way_kpis(wrong_way),
        "before_after": figures.improvement_before_after(before_after),
    }
    if note := partial_month_note(extent):
        for fid in (*MONTHLY_FIGURES, *PERIOD_FIGURES, "wrong_way"):
            if len(figs[fid].data):
                figures.with_note(figs[fid], note)
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
        extent=extent,
        dq_rows=dq_rows(dq),
        dq_summary=dq_summary(dq, int(quarantine["rows"].sum()) if len(quarantine) else 0),
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
