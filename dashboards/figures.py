"""One pure function per chart: a small frame in, a `go.Figure` out.

The static report and the Dash app both call these, so a chart is defined once. Each function documents the
columns it reads; `dashboards/queries.py` produces frames with exactly those names from the marts. Every function
returns an annotated "no data for this selection" figure when its frame is empty, never a blank or an exception.

Conventions: percentages are 0-100, durations carry their unit in the column name (`_hours`, `_minutes`), months
are the first day of the month. Target lines are horizontal shapes named in `layout.shapes[*].name` so tests and
readers can find them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

NO_DATA_TEXT = "no data for this selection"
TARGET_COLOR = "#6a1b9a"
STATUS_COLORS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "grey": "#9e9e9e"}
# Age buckets from DESIGN.md (backlog and aging), oldest last so the stack reads bottom-up young -> old.
AGE_BUCKET_ORDER = ["0-1", "2-5", "6-30", "31-90", ">90"]
# Data-quality rows: what failed first, and blocking failures in red.
DQ_ORDER = {"error": 0, "failed": 1, "not_applicable": 2, "passed": 3}
STATUS_FILL = {"passed": "#e8f5e9", "blocking": "#ffcdd2", "warning": "#fff8e1"}
PRIORITY_COLORS = {"1": "#b71c1c", "2": "#ef6c00", "3": "#1565c0", "4": "#78909c"}


def _is_empty(frame: pd.DataFrame | None, columns: Sequence[str] = ()) -> bool:
    if frame is None or len(frame) == 0:
        return True
    # All-null measure columns carry no information either (e.g. CSAT with no responses).
    return bool(columns) and all(frame[c].isna().all() for c in columns if c in frame)


def _layout(fig: go.Figure, title: str, x_title: str | None, y_title: str | None) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        margin={"l": 60, "r": 30, "t": 60, "b": 90},
        height=420,
        legend={"orientation": "h", "y": -0.3, "yanchor": "top"},
        hovermode="closest",
    )
    return fig


def _wrap(text: str, width: int = 24) -> str:
    """Break a long category label into lines (plotly axis labels do not wrap by themselves)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _monthly_axis(fig: go.Figure) -> go.Figure:
    """One tick per month labelled 'Jun 2026' (plotly would otherwise show days for a two-month series)."""
    fig.update_xaxes(tickformat="%b %Y", dtick="M1")
    return fig


def empty_figure(title: str, message: str = NO_DATA_TEXT) -> go.Figure:
    """A figure with no traces and a centred annotation, so an empty selection is never a blank box."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 16, "color": "#757575"}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, None, None)


def add_target_line(
    fig: go.Figure, target: float | None, label: str, unit: str = "", secondary_y: bool = False
) -> go.Figure:
    """Horizontal dashed target line named `target: <label>`, annotated "<label> target 95%"; no-op without a
    target (reference data may not define one)."""
    if target is None or pd.isna(target):
        return fig
    fig.add_hline(
        y=float(target),
        line={"dash": "dash", "color": TARGET_COLOR, "width": 2},
        name=f"target: {label}",
        annotation_text=f"{label} target {target:g}{unit}",
        annotation_position="top left",
        annotation_font={"color": TARGET_COLOR, "size": 11},
        yref="y2" if secondary_y else "y",
    )
    return fig


def sla_attainment_trend(frame: pd.DataFrame | None, target_pct: float | None = None) -> go.Figure:
    """Monthly SLA attainment by priority, one line per priority.

    Columns: `month` (date), `priority` (int or str, 1-4), `attainment_pct` (0-100), `met` (count), `breached` (count).
    """
    title = "Resolution SLA attainment by priority"
    if _is_empty(frame, ["attainment_pct"]):
        return empty_figure(title)
    fig = go.Figure()
    for priority, rows in frame.sort_values("month").groupby("priority", sort=True):
        key = str(priority)
        fig.add_trace(
            go.Scatter(
                x=rows["month"],
                y=rows["attainment_pct"],
                mode="lines+markers",
                name=f"P{key}",
                line={"color": PRIORITY_COLORS.get(key)},
                customdata=rows[["met", "breached"]].to_numpy(),
                hovertemplate=f"P{key} %{{x|%b %Y}}<br>attainment %{{y:.1f}}%<br>"
                "met %{customdata[0]:,}, breached %{customdata[1]:,}<extra></extra>",
            )
        )
    add_target_line(fig, target_pct, "SLA", "%")
    fig.update_yaxes(range=[0, 105])
    _monthly_axis(fig)
    return _layout(fig, title, "Month", "SLA attainment (%)")


def mttr_trend(frame: pd.DataFrame | None, target_hours: float | None = None) -> go.Figure:
    """Monthly time to resolve: median and p90 in business hours (means hide the tail).

    Columns: `month` (date), `median_hours`, `p90_hours`, `mean_hours` (business hours), `resolved` (count).
    """
    title = "Time to resolve (business hours): median and p90"
    if _is_empty(frame, ["median_hours", "p90_hours"]):
        return empty_figure(title)
    rows = frame.sort_values("month")
    fig = go.Figure()
    for column, name, dash in (("median_hours", "median", "solid"), ("p90_hours", "p90", "dot")):
        fig.add_trace(
            go.Scatter(
                x=rows["month"],
                y=rows[column],
                mode="lines+markers",
                name=name,
                line={"dash": dash},
                customdata=rows[["resolved", "mean_hours"]].to_numpy(),
                hovertemplate=f"%{{x|%b %Y}}<br>{name} %{{y:.1f}} business h<br>"
                "mean %{customdata[1]:.1f} h over %{customdata[0]:,} resolved<extra></extra>",
            )
        )
    add_target_line(fig, target_hours, "median", " h")
    _monthly_axis(fig)
    return _layout(fig, title, "Month", "Time to resolve (business hours)")


def backlog_aging(frame: pd.DataFrame | None) -> go.Figure:
    """Open tickets at each end of day, stacked by age bucket.

    Columns: `snapshot_date` (date), `age_bucket` (one of 0-1, 2-5, 6-30, 31-90, >90 days), `open_tickets` (count).
    """
    title = "Backlog at end of day by age (days)"
    if _is_empty(frame, ["open_tickets"]):
        return empty_figure(title)
    fig = go.Figure()
    present = list(frame["age_bucket"].unique())
    order = [b for b in AGE_BUCKET_ORDER if b in present] + [b for b in present if b not in AGE_BUCKET_ORDER]
    for bucket in order:
        rows = frame[frame["age_bucket"] == bucket].sort_values("snapshot_date")
        fig.add_trace(
            go.Scatter(
                x=rows["snapshot_date"],
                y=rows["open_tickets"],
                mode="lines",
                stackgroup="backlog",
                name=f"{bucket} days",
                hovertemplate=f"%{{x|%d %b %Y}}<br>{bucket} days: %{{y:,}} open<extra></extra>",
            )
        )
    fig.update_xaxes(tickformat="%d %b %Y")
    span = pd.to_datetime(frame["snapshot_date"]).max() - pd.to_datetime(frame["snapshot_date"]).min()
    if span <= pd.Timedelta(days=14):
        fig.update_xaxes(dtick=86_400_000)  # whole days: plotly would tick every few hours on a short range
    return _layout(fig, title, "Date", "Open tickets (count)")


def top_breaching(frame: pd.DataFrame | None, dimension: str, limit: int = 10) -> go.Figure:
    """Who breaches most: resolution SLA breaches by one dimension (service, group or category), largest first.

    Columns: `label` (the service / group / category), `breached` (count), `total` (count of SLA outcomes),
    `breach_pct` (0-100).
    """
    title = f"Top breaching {dimension}"
    if _is_empty(frame, ["breached"]):
        return empty_figure(title)
    rows = frame.sort_values(["breached", "label"], ascending=[False, True]).head(limit).iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=rows["breached"],
            y=rows["label"].astype(str),
            orientation="h",
            marker={"color": STATUS_COLORS["red"]},
            customdata=rows[["total", "breach_pct"]].to_numpy(),
            text=[f"{p:.1f}%" for p in rows["breach_pct"]],
            textposition="auto",
            hovertemplate="%{y}<br>%{x:,} breached of %{customdata[0]:,} (%{customdata[1]:.1f}%)<extra></extra>",
            name="breached",
        )
    )
    return _layout(fig, title, "Breached SLAs (count)", dimension.capitalize())


def change_rates_trend(
    frame: pd.DataFrame | None, success_target_pct: float | None = None, failure_target_pct: float | None = None
) -> go.Figure:
    """Monthly change success, failure, emergency and unauthorized rates.

    Columns: `month` (date), `success_pct`, `failure_pct`, `emergency_pct`, `unauthorized_pct` (0-100),
    `implemented` (count).
    """
    title = "Change success, failure, emergency and unauthorized rates"
    measures = ["success_pct", "failure_pct", "emergency_pct", "unauthorized_pct"]
    if _is_empty(frame, measures):
        return empty_figure(title)
    rows = frame.sort_values("month")
    names = {
        "success_pct": "success rate",
        "failure_pct": "change failure rate",
        "emergency_pct": "emergency %",
        "unauthorized_pct": "unauthorized %",
    }
    fig = go.Figure()
    for column in measures:
        fig.add_trace(
            go.Scatter(
                x=rows["month"],
                y=rows[column],
                mode="lines+markers",
                name=names[column],
                customdata=rows[["implemented"]].to_numpy(),
                hovertemplate=f"%{{x|%b %Y}}<br>{names[column]} %{{y:.1f}}%<br>"
                "of %{customdata[0]:,} implemented changes<extra></extra>",
            )
        )
    add_target_line(fig, success_target_pct, "success", "%")
    add_target_line(fig, failure_target_pct, "failure", "%")
    fig.update_yaxes(range=[0, 105])
    _monthly_axis(fig)
    return _layout(fig, title, "Month", "Share of changes (%)")


def incidents_caused_by_changes(frame: pd.DataFrame | None) -> go.Figure:
    """Incidents explicitly linked to a change (tickets.caused_by_change), per month, stacked by priority.

    Columns: `month` (date), `priority` (1-4), `incidents` (count).
    """
    title = "Incidents caused by changes"
    if _is_empty(frame, ["incidents"]):
        return empty_figure(title)
    fig = go.Figure()
    for priority, rows in frame.sort_values("month").groupby("priority", sort=True):
        key = str(priority)
        fig.add_trace(
            go.Bar(
                x=rows["month"],
                y=rows["incidents"],
                name=f"P{key}",
                marker={"color": PRIORITY_COLORS.get(key)},
                hovertemplate=f"P{key} %{{x|%b %Y}}: %{{y:,}} incidents<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    _monthly_axis(fig)
    return _layout(fig, title, "Month", "Incidents (count)")


def availability_vs_target(frame: pd.DataFrame | None) -> go.Figure:
    """Availability per service for the selected period, bars coloured by met / missed, target as a marker.

    Columns: `service`, `availability_pct` (0-100), `target_pct` (0-100), `downtime_minutes`, `agreed_minutes`.
    """
    title = "Availability per service vs target"
    if _is_empty(frame, ["availability_pct"]):
        return empty_figure(title)
    rows = frame.sort_values("service")
    met = rows["availability_pct"] >= rows["target_pct"]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=rows["service"],
            y=rows["availability_pct"],
            name="availability",
            marker={"color": [STATUS_COLORS["green"] if m else STATUS_COLORS["red"] for m in met]},
            customdata=rows[["target_pct", "downtime_minutes", "agreed_minutes"]].to_numpy(),
            hovertemplate="%{x}<br>availability %{y:.3f}% (target %{customdata[0]:.2f}%)<br>"
            "downtime %{customdata[1]:,.0f} of %{customdata[2]:,.0f} agreed minutes<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=rows["service"],
            y=rows["target_pct"],
            mode="markers",
            name="target",
            marker={"symbol": "line-ew-open", "size": 30, "color": TARGET_COLOR, "line": {"width": 3}},
            hovertemplate="%{x}<br>target %{y:.2f}%<extra></extra>",
        )
    )
    low = min(float(rows["availability_pct"].min()), float(rows["target_pct"].min()))
    fig.update_yaxes(range=[max(0.0, low - 1.0), 100.05])
    return _layout(fig, title, "Service", "Availability in agreed service hours (%)")


def downtime_minutes(frame: pd.DataFrame | None) -> go.Figure:
    """Unplanned downtime inside agreed service hours, per month, stacked by service.

    Columns: `month` (date), `service`, `downtime_minutes`.
    """
    title = "Downtime in agreed service hours"
    if _is_empty(frame, ["downtime_minutes"]):
        return empty_figure(title)
    fig = go.Figure()
    for service, rows in frame.sort_values("month").groupby("service", sort=True):
        fig.add_trace(
            go.Bar(
                x=rows["month"],
                y=rows["downtime_minutes"],
                name=str(service),
                hovertemplate=f"{service} %{{x|%b %Y}}: %{{y:,.1f}} min<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    _monthly_axis(fig)
    return _layout(fig, title, "Month", "Downtime (minutes)")


def error_budget(frame: pd.DataFrame | None) -> go.Figure:
    """Error budget remaining per service for the latest month, with the burn rate in the hover.

    Columns: `service`, `budget_minutes`, `budget_remaining_minutes` (negative when overspent), `burn_rate`
    (downtime / budget; 1 = budget fully spent).
    """
    title = "Error budget remaining and burn rate (latest month)"
    if _is_empty(frame, ["budget_remaining_minutes"]):
        return empty_figure(title)
    rows = frame.sort_values("service")
    fig = go.Figure(
        go.Bar(
            x=rows["service"],
            y=rows["budget_remaining_minutes"],
            name="budget remaining",
            marker={
                "color": [
                    STATUS_COLORS["red"] if r < 0 else STATUS_COLORS["amber"] if b >= 0.75 else STATUS_COLORS["green"]
                    for r, b in zip(rows["budget_remaining_minutes"], rows["burn_rate"].fillna(0), strict=True)
                ]
            },
            customdata=rows[["budget_minutes", "burn_rate"]].to_numpy(),
            text=["" if pd.isna(b) else f"burn {b:.2f}x" for b in rows["burn_rate"]],
            textposition="outside",
            hovertemplate="%{x}<br>remaining %{y:,.1f} of %{customdata[0]:,.1f} min<br>"
            "burn rate %{customdata[1]:.2f}<extra></extra>",
        )
    )
    fig.add_hline(y=0, line={"color": "#424242", "width": 1}, name="budget exhausted")
    return _layout(fig, title, "Service", "Error budget remaining (minutes)")


def csat_nps_trend(
    frame: pd.DataFrame | None, csat_target: float | None = None, nps_target: float | None = None
) -> go.Figure:
    """Monthly CSAT (mean 1-5, left axis) and NPS (-100..100, right axis).

    Columns: `month` (date), `csat_mean` (1-5, null when no responses), `nps` (-100..100), `responses` (count),
    `response_rate_pct` (0-100).
    """
    title = "Customer satisfaction: CSAT and NPS"
    if _is_empty(frame, ["csat_mean", "nps"]):
        return empty_figure(title)
    rows = frame.sort_values("month")
    custom = rows[["responses", "response_rate_pct"]].to_numpy()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=rows["month"],
            y=rows["csat_mean"],
            mode="lines+markers",
            name="CSAT (1-5)",
            customdata=custom,
            hovertemplate="%{x|%b %Y}<br>CSAT %{y:.2f} from %{customdata[0]:,} responses "
            "(%{customdata[1]:.1f}% response rate)<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=rows["month"],
            y=rows["nps"],
            mode="lines+markers",
            name="NPS",
            yaxis="y2",
            line={"dash": "dot"},
            hovertemplate="%{x|%b %Y}<br>NPS %{y:.0f}<extra></extra>",
        )
    )
    fig.update_layout(
        yaxis={"range": [1, 5.2]},
        yaxis2={"title": {"text": "NPS (points)"}, "overlaying": "y", "side": "right", "range": [-100, 100]},
    )
    add_target_line(fig, csat_target, "CSAT")
    add_target_line(fig, nps_target, "NPS", secondary_y=True)
    _monthly_axis(fig)
    return _layout(fig, title, "Month", "CSAT (mean score 1-5)")


def csat_by_sla_outcome(frame: pd.DataFrame | None, csat_target: float | None = None) -> go.Figure:
    """CSAT of surveyed tickets whose resolution SLA was met vs breached.

    Columns: `sla_outcome` (met / breached), `csat_mean` (1-5), `responses` (count).
    """
    title = "CSAT when the SLA was met vs breached"
    if _is_empty(frame, ["csat_mean"]):
        return empty_figure(title)
    rows = frame.sort_values("sla_outcome", key=lambda s: s.map({"met": 0, "breached": 1}).fillna(2))
    fig = go.Figure(
        go.Bar(
            x=rows["sla_outcome"],
            y=rows["csat_mean"],
            name="CSAT",
            marker={
                "color": [
                    STATUS_COLORS["green"] if o == "met" else STATUS_COLORS["red"] if o == "breached" else "#90a4ae"
                    for o in rows["sla_outcome"]
                ]
            },
            customdata=rows[["responses"]].to_numpy(),
            text=[f"{v:.2f}" for v in rows["csat_mean"]],
            textposition="auto",
            hovertemplate="SLA %{x}<br>CSAT %{y:.2f} from %{customdata[0]:,} responses<extra></extra>",
        )
    )
    add_target_line(fig, csat_target, "CSAT")
    fig.update_yaxes(range=[0, 5.2])
    return _layout(fig, title, "Resolution SLA outcome", "CSAT (mean score 1-5)")


def dq_check_table(frame: pd.DataFrame | None) -> go.Figure:
    """Latest result of each data-quality check, problems first.

    Columns: `check_name`, `asset`, `severity` (blocking / warning), `status` (passed / failed / not_applicable /
    error), `failing_row_count`, `observed_value`, `checked_at`.
    """
    title = "Data-quality checks (latest result per check)"
    if _is_empty(frame):
        return empty_figure(title, "no data-quality results recorded")
    rows = frame.assign(_order=frame["status"].map(DQ_ORDER).fillna(9)).sort_values(
        ["_order", "severity", "check_name"]
    )
    fill = [
        STATUS_FILL["passed"] if st == "passed" else STATUS_FILL["blocking" if sev == "blocking" else "warning"]
        for st, sev in zip(rows["status"], rows["severity"], strict=True)
    ]
    observed = ["" if pd.isna(v) else f"{v:g}" if isinstance(v, float) else str(v) for v in rows["observed_value"]]
    fig = go.Figure(
        go.Table(
            columnwidth=[60, 220, 140, 70, 70, 80, 110],
            header={"values": ["status", "check", "asset", "severity", "failing rows", "observed", "checked (UTC)"]},
            cells={
                "values": [
                    [str(s).upper() for s in rows["status"]],
                    rows["check_name"],
                    rows["asset"],
                    rows["severity"],
                    rows["failing_row_count"].fillna(0).astype("int64"),
                    observed,
                    pd.to_datetime(rows["checked_at"]).dt.strftime("%Y-%m-%d %H:%M"),
                ],
                "fill": {"color": [fill] * 7},
                "align": "left",
            },
        )
    )
    fig = _layout(fig, title, None, None)
    fig.update_layout(height=min(140 + 30 * len(rows), 900))
    return fig


def quarantine_counts(frame: pd.DataFrame | None) -> go.Figure:
    """Rows held in quarantine by target table and reason (nothing is dropped silently).

    Columns: `target_table`, `reason`, `rows` (count).
    """
    title = "Quarantined rows by table and reason"
    if _is_empty(frame, ["rows"]):
        return empty_figure(title, "no quarantined rows")
    fig = go.Figure()
    for reason, rows in frame.groupby("reason", sort=True):
        fig.add_trace(
            go.Bar(
                x=rows["rows"],
                y=rows["target_table"].fillna("(unknown)"),
                orientation="h",
                name=str(reason)[:60],
                hovertemplate=f"%{{y}}<br>{str(reason)[:120]}: %{{x:,}} rows<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    return _layout(fig, title, "Quarantined rows (count)", "Raw table")


def unclassified_tickets(frame: pd.DataFrame | None) -> go.Figure:
    """Tickets the pipeline could not fully classify, one line per reason (as `itsm run` prints them).

    Columns: `reason`, `line` (the sentence), `tickets` (count).
    """
    title = "Tickets not fully classified (counted, not dropped)"
    if _is_empty(frame, ["tickets"]):
        return empty_figure(title, "every ticket matched a service, an SLA policy and a calendar")
    fig = go.Figure(
        go.Table(
            columnwidth=[80, 520],
            header={"values": ["tickets", "what could not be classified"]},
            cells={"values": [[f"{int(n):,}" for n in frame["tickets"]], list(frame["line"])], "align": "left"},
        )
    )
    fig = _layout(fig, title, None, None)
    fig.update_layout(height=min(140 + 40 * len(frame), 600))
    return fig


def wrong_way_kpis(frame: pd.DataFrame | None) -> go.Figure:
    """KPIs that moved the wrong way beyond their threshold, ranked by impact, with the main driver.

    Columns: `label` (KPI name), `previous`, `latest`, `delta` (latest - previous, in the KPI's unit), `unit`,
    `impact` (wrong-way move in multiples of the threshold), `driver` (service contributing most),
    `driver_delta` (the driver's contribution, KPI unit).
    """
    title = "KPIs that moved the wrong way (latest vs previous month)"
    if _is_empty(frame, ["impact"]):
        return empty_figure(title, "no KPI moved the wrong way beyond its threshold")
    rows = frame.sort_values("impact", ascending=True)
    fig = go.Figure(
        go.Bar(
            x=rows["impact"],
            y=[_wrap(str(label)) for label in rows["label"]],
            orientation="h",
            name="impact",
            marker={"color": STATUS_COLORS["red"]},
            text=[
                f"{lat:.2f} vs {prev:.2f} · driver: {d}"
                for lat, prev, d in zip(rows["latest"], rows["previous"], rows["driver"].fillna("n/a"), strict=True)
            ],
            textposition="auto",
            customdata=rows[["previous", "latest", "delta", "unit", "driver", "driver_delta"]].to_numpy(),
            hovertemplate="%{y}<br>%{customdata[0]:.2f} -> %{customdata[1]:.2f} %{customdata[3]} "
            "(change %{customdata[2]:+.2f})<br>main driver %{customdata[4]} (%{customdata[5]:+.2f})<br>"
            "impact %{x:.1f}x threshold<extra></extra>",
        )
    )
    fig.add_vline(x=1, line={"dash": "dash", "color": TARGET_COLOR}, name="threshold")
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, "Wrong-way move (multiples of the threshold)", "KPI")


def improvement_before_after(frame: pd.DataFrame | None) -> go.Figure:
    """Each improvement initiative: its KPI before vs after the start date, with the target.

    Columns: `initiative`, `service`, `kpi`, `unit`, `before`, `after`, `target`, `improved` (bool or null).
    """
    title = "Improvement register: KPI before vs after each initiative"
    if _is_empty(frame, ["before", "after"]):
        return empty_figure(title)
    labels = [f"{i}<br>({s}, {k})" for i, s, k in zip(frame["initiative"], frame["service"], frame["kpi"], strict=True)]
    fig = go.Figure()
    for column, colour in (("before", "#90a4ae"), ("after", "#1565c0")):
        fig.add_trace(
            go.Bar(
                x=labels,
                y=frame[column],
                name=column,
                marker={"color": colour},
                customdata=frame[["unit"]].to_numpy(),
                hovertemplate=f"%{{x}}<br>{column}: %{{y:.2f}} %{{customdata[0]}}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=frame["target"],
            mode="markers",
            name="target",
            marker={"symbol": "line-ew-open", "size": 40, "color": TARGET_COLOR, "line": {"width": 3}},
            hovertemplate="%{x}<br>target %{y:.2f}<extra></extra>",
        )
    )
    fig.update_layout(barmode="group")
    return _layout(fig, title, "Initiative (service, KPI)", "KPI value (unit in hover)")
