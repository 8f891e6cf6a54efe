"""One pure function per chart: a small frame in, a `go.Figure` out.

The static report and the Dash app both call these, so a chart is defined once. Each function documents the
columns it reads; `dashboards/queries.py` produces frames with exactly those names from the marts. Every function
returns an annotated "no data for this selection" figure when its frame is empty, never a blank or an exception.

Conventions: percentages are 0-100, durations carry their unit in the column name (`_hours`, `_minutes`), months
are the first day of the month. Target lines are horizontal shapes named in `layout.shapes[*].name` so tests and
readers can find them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

NO_DATA_TEXT = "no data for this selection"
TARGET_COLOR = "#6a1b9a"
STATUS_COLORS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "grey": "#9e9e9e"}
# Backlog age buckets in days (fct_backlog_daily), oldest last so the stack reads bottom-up young -> old.
AGE_BUCKET_ORDER = ["0-1", "2-5", "6-30", "31-90", ">90"]
STILL_OPEN_NAME = "of which still open at export"
NOTE_WIDTH = 95
# Heights in px of the parts stacked above the plot area: title, each note line, each legend row.
TITLE_PX, NOTE_FIRST_PX, NOTE_LINE_PX, LEGEND_ROW_PX, LEGEND_ROW_PX_WIDE = 44, 32, 16, 22, 500
PLOT_PX = 300
WRONG_WAY_RULE = "Worse = moved the wrong way by more than the KPI's amber margin, as the tiles' \"(worse)\""
PRIORITY_COLORS = {"1": "#b71c1c", "2": "#ef6c00", "3": "#1565c0", "4": "#78909c"}
# Between the title and the plot area: clear of tick labels whatever their angle.
LEGEND_ON_TOP = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"}
CSAT_COLOR, NPS_COLOR = "#1565c0", "#ef6c00"


def _is_empty(frame: pd.DataFrame | None, columns: Sequence[str] = ()) -> bool:
    if frame is None or len(frame) == 0:
        return True
    # All-null measure columns carry no information either (e.g. CSAT with no responses).
    return bool(columns) and all(frame[c].isna().all() for c in columns if c in frame)


def _layout(fig: go.Figure, title: str, x_title: str | None, y_title: str | None, note: str | None = None) -> go.Figure:
    """Title (and a one-line note under it) at the top, the legend between the title and the plot, so neither the
    legend nor the note can overlap tick labels (rotated month labels took the space a bottom legend needs)."""
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "yref": "container", "y": 1, "yanchor": "top"},
        title_pad={"t": 12},
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        margin={"l": 60, "r": 30, "t": TITLE_PX, "b": 70},
        height=PLOT_PX + TITLE_PX + 70,
        legend=LEGEND_ON_TOP,
        hovermode="closest",
    )
    _fit_top(fig)
    if note:
        with_note(fig, note)
    return fig


def _legend_rows(fig: go.Figure) -> int:
    """How many rows the horizontal legend takes in a half-width card (about LEGEND_ROW_PX_WIDE px per row): each
    entry is its text (about 6.5 px a character) plus the symbol."""
    # Tables have no legend (and no showlegend attribute).
    names = [t.name for t in fig.data if t.name and getattr(t, "showlegend", False) is not False]
    if len(names) < 2 and not any(getattr(t, "showlegend", False) for t in fig.data):
        return 0  # plotly shows no legend for a single trace
    width = sum(45 + 6.5 * len(str(n)) for n in names)
    return max(1, math.ceil(width / LEGEND_ROW_PX_WIDE))


def _fit_top(fig: go.Figure) -> None:
    """Make the top margin hold the title, its note lines and the legend rows one under the other (the legend grows
    upwards from the plot area), keeping the plot area's own height."""
    subtitle = fig.layout.title.subtitle.text if fig.layout.title.subtitle else None
    note_lines = 0 if not subtitle else subtitle.count("<br>") + 1
    # plotly sets the first note line a title's height below the title; further lines follow at the font's height
    notes_px = 0 if note_lines == 0 else NOTE_FIRST_PX + NOTE_LINE_PX * (note_lines - 1)
    top = TITLE_PX + notes_px + LEGEND_ROW_PX * _legend_rows(fig) + 6
    old = fig.layout.margin.t or 0
    fig.update_layout(margin={"t": top}, height=(fig.layout.height or PLOT_PX + old + 70) + top - old)


def with_note(fig: go.Figure, note: str) -> go.Figure:
    """Add a sentence under the title (title.subtitle): what a label means, which months are left out. Notes add
    up, one per line."""
    current = fig.layout.title.subtitle.text if fig.layout.title.subtitle and fig.layout.title.subtitle.text else ""
    # A half-width card holds about 95 characters of 12 px text; longer notes break onto more lines.
    note = _wrap(note, NOTE_WIDTH)
    text = f"{current}<br>{note}" if current else note
    fig.update_layout(title_subtitle={"text": text, "font": {"size": 12, "color": "#546e7a"}})
    _fit_top(fig)
    return fig


def count_axis(max_value: float | None) -> dict:
    """Axis settings for a count: whole-number ticks from 0 (plotly would tick 0.5, 1.5 on a small range), with a
    step of 1, 2, 5, 10, 20, 50... giving at most about six ticks."""
    top = 0.0 if max_value is None or pd.isna(max_value) else float(max_value)
    step = 1
    while top / step > 6:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if top / step <= 6:
                break
    return {"tick0": 0, "dtick": step, "tickformat": ",d", "rangemode": "tozero"}


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


def backlog_aging(
    frame: pd.DataFrame | None, still_open: pd.DataFrame | None = None, export_instant: pd.Timestamp | None = None
) -> go.Figure:
    """Open tickets at each end of day, stacked by age bucket, with the part still open at the export instant.

    Columns: `snapshot_date` (date), `age_bucket` (one of 0-1, 2-5, 6-30, 31-90, >90 days), `open_tickets` (count).
    still_open (optional): `snapshot_date`, `open_tickets`: of each day's open tickets, those still open when the
    data was exported. They have no end yet, so the last weeks before the export run high; the line and its note
    say so instead of leaving a steep climb unexplained.
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
    totals = frame.groupby("snapshot_date")["open_tickets"].sum()
    note = None
    if still_open is not None and len(still_open) and still_open["open_tickets"].max() > 0:
        rows = still_open.sort_values("snapshot_date")
        fig.add_trace(
            go.Scatter(
                x=rows["snapshot_date"],
                y=rows["open_tickets"],
                mode="lines",
                name=STILL_OPEN_NAME,
                line={"color": "#212121", "dash": "dot", "width": 2},
                hovertemplate="%{x|%d %b %Y}<br>%{y:,} of the open tickets were still open at export<extra></extra>",
            )
        )
        at = "" if export_instant is None else f" ({pd.Timestamp(export_instant):%d %b %Y %H:%M} UTC)"
        last = int(rows["open_tickets"].iloc[-1])
        note = (
            f"{last:,} incidents still open at the export instant{at}: they have no end yet, "
            "so the most recent weeks are incomplete and run high"
        )
    fig.update_xaxes(tickformat="%d %b %Y")
    span = pd.to_datetime(frame["snapshot_date"]).max() - pd.to_datetime(frame["snapshot_date"]).min()
    if span <= pd.Timedelta(days=14):
        fig.update_xaxes(dtick=86_400_000)  # whole days: plotly would tick every few hours on a short range
    fig.update_yaxes(**count_axis(totals.max()))
    return _layout(fig, title, "Date", "Open tickets (count)", note)


def top_breaching(frame: pd.DataFrame | None, dimension: str, limit: int = 10) -> go.Figure:
    """Who breaches most: resolution SLA breaches by one dimension (service, group or category), largest first.

    Columns: `label` (the service / group / category), `breached` (count), `total` (count of SLA outcomes),
    `breach_pct` (0-100). Each bar is labelled "<breach %> of <total>", and the note under the title says so.
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
            text=[f"{p:.1f}% of {int(t):,}" for p, t in zip(rows["breach_pct"], rows["total"], strict=True)],
            textposition="auto",
            hovertemplate="%{y}<br>%{x:,} breached of %{customdata[0]:,} (%{customdata[1]:.1f}%)<extra></extra>",
            name="breached",
        )
    )
    fig.update_xaxes(**count_axis(rows["breached"].max()))
    note = "Bar: breached resolution SLAs. Label: breached % of all its decided SLAs (met + breached)"
    return _layout(fig, title, "Breached SLAs (count)", dimension.capitalize(), note)


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
    fig.update_yaxes(**count_axis(frame.groupby("month")["incidents"].sum().max()))
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

    Each measure, its axis and its target line share one colour, and each target line is drawn on its own axis
    with its label on that axis's side. The axes have round ticks that line up: CSAT 1..5 by 1, NPS -100..100 by 50.

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
            name="CSAT (1-5, left axis)",
            line={"color": CSAT_COLOR},
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
            name="NPS (-100 to 100, right axis)",
            yaxis="y2",
            line={"dash": "dot", "color": NPS_COLOR},
            hovertemplate="%{x|%b %Y}<br>NPS %{y:.0f}<extra></extra>",
        )
    )
    # Five ticks on each axis at the same heights (1 <-> -100, 3 <-> 0, 5 <-> 100), so the grid serves both.
    fig.update_layout(
        yaxis={
            "range": [1, 5],
            "tickmode": "linear",
            "tick0": 1,
            "dtick": 1,
            "color": CSAT_COLOR,
        },
        yaxis2={
            "title": {"text": "NPS (points)"},
            "overlaying": "y",
            "side": "right",
            "range": [-100, 100],
            "tickmode": "linear",
            "tick0": -100,
            "dtick": 50,
            "showgrid": False,
            "zeroline": False,
            "color": NPS_COLOR,
        },
    )
    for target, label, axis, colour, position in (
        (csat_target, "CSAT", "y", CSAT_COLOR, "top left"),
        (nps_target, "NPS", "y2", NPS_COLOR, "top right"),
    ):
        if target is None or pd.isna(target):
            continue
        fig.add_hline(
            y=float(target),
            yref=axis,
            line={"dash": "dash", "color": colour, "width": 2},
            name=f"target: {label}",
            annotation_text=f"{label} target {target:g}",
            annotation_position=position,
            annotation_font={"color": colour, "size": 11},
        )
    _monthly_axis(fig)
    fig = _layout(fig, title, "Month", "CSAT (mean score 1-5)")
    fig.update_layout(margin={"r": 60})
    return fig


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


def dq_acknowledgements(frame: pd.DataFrame | None) -> go.Figure:
    """Values a data-quality check was told to accept (`itsm dq acknowledge`), newest first: who, when and why.

    Columns: `acknowledged_at`, `check_name`, `key`, `reason`, `acknowledged_by`.
    """
    title = "Acknowledged values (left out of their check)"
    if _is_empty(frame):
        return empty_figure(title, "no acknowledged values")
    fig = go.Figure(
        go.Table(
            columnwidth=[110, 220, 90, 260, 90],
            header={"values": ["acknowledged (UTC)", "check", "key", "reason", "by"]},
            cells={
                "values": [
                    pd.to_datetime(frame["acknowledged_at"]).dt.strftime("%Y-%m-%d %H:%M"),
                    frame["check_name"],
                    frame["key"],
                    frame["reason"],
                    frame["acknowledged_by"],
                ],
                "align": "left",
            },
        )
    )
    fig = _layout(fig, title, None, None)
    fig.update_layout(height=min(140 + 30 * len(frame), 600))
    return fig


def quarantine_counts(frame: pd.DataFrame | None, limit: int = 12) -> go.Figure:
    """Rows held in quarantine, one bar per reason (its whole text, wrapped), coloured by target table.

    The reason is the bar's label rather than a legend entry, so a long reason is never cut; the legend holds only
    the table names. Beyond `limit` reasons the rest are summed into one "(N other reasons)" bar per table.

    Columns: `target_table`, `reason`, `rows` (count).
    """
    title = "Quarantined rows by reason and table"
    if _is_empty(frame, ["rows"]):
        return empty_figure(title, "no quarantined rows")
    rows = frame.assign(target_table=frame["target_table"].fillna("(unknown)"), reason=frame["reason"].astype(str))
    rows = rows.sort_values(["rows", "target_table", "reason"], ascending=[False, True, True], ignore_index=True)
    if len(rows) > limit:
        rest = rows.iloc[limit:]
        other = rest.groupby("target_table", as_index=False)["rows"].sum()
        other["reason"] = f"({len(rest)} other reasons)"
        rows = pd.concat([rows.iloc[:limit], other], ignore_index=True)
    labels = [_wrap(r, 40) for r in rows["reason"]]
    fig = go.Figure()
    for table in sorted(rows["target_table"].unique()):
        mask = (rows["target_table"] == table).to_numpy()
        fig.add_trace(
            go.Bar(
                x=rows["rows"][mask],
                y=[lab for lab, m in zip(labels, mask, strict=True) if m],
                orientation="h",
                name=str(table),
                customdata=rows[["reason"]][mask].to_numpy(),
                hovertemplate=f"{table}<br>%{{customdata[0]}}: %{{x:,}} rows<extra></extra>",
            )
        )
    # Largest at the top: horizontal categories are drawn bottom-up.
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], automargin=True)
    fig.update_xaxes(**count_axis(rows.groupby("reason")["rows"].sum().max()))
    fig.update_layout(barmode="stack", legend_title_text="raw table")
    fig = _layout(fig, title, "Quarantined rows (count)", None)
    fig.update_layout(height=fig.layout.margin.t + 70 + max(160, 42 * len(rows)))
    return fig


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
    # a table has no legend: its own layout, not _layout (which sizes the legend of traces that have one)
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        margin={"l": 20, "r": 20, "t": TITLE_PX, "b": 10},
        height=min(TITLE_PX + 60 + 40 * len(frame), 600),
    )
    return fig


def wrong_way_kpis(frame: pd.DataFrame | None) -> go.Figure:
    """KPIs that moved the wrong way beyond their threshold, ranked by impact, with the main driver.

    Columns: `label` (KPI name), `previous`, `latest`, `delta` (latest - previous, in the KPI's unit), `unit`,
    `impact` (wrong-way move in multiples of the threshold), `driver` (service contributing most),
    `driver_delta` (the driver's contribution, KPI unit).
    """
    title = "KPIs that moved the wrong way (latest vs previous month)"
    if _is_empty(frame, ["impact"]):
        return with_note(empty_figure(title, "no KPI moved the wrong way beyond its threshold"), WRONG_WAY_RULE)
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
    return _layout(fig, title, "Wrong-way move (multiples of the threshold)", "KPI", WRONG_WAY_RULE)


def improvement_before_after(frame: pd.DataFrame | None) -> go.Figure:
    """Each improvement initiative: its KPI before vs after the start date, with the target.

    One panel per unit (%, business hours, score...), each with its own y axis titled by that unit, so a percentage
    and a number of hours never share a scale. Bar labels are horizontal under each panel and the legend sits above
    the panels.

    Columns: `initiative`, `service`, `kpi`, `unit`, `before`, `after`, `target`, `improved` (bool or null).
    """
    title = "Improvement register: KPI before vs after each initiative"
    if _is_empty(frame, ["before", "after"]):
        return empty_figure(title)
    rows = frame.assign(unit=frame["unit"].fillna("").astype(str))
    units = list(dict.fromkeys(rows["unit"]))  # register order
    widths = [int((rows["unit"] == u).sum()) for u in units]
    fig = make_subplots(
        rows=1,
        cols=len(units),
        column_widths=widths,
        horizontal_spacing=min(0.12, 0.6 / len(units)),
    )
    for col, unit in enumerate(units, start=1):
        part = rows[rows["unit"] == unit]
        labels = [
            f"{_wrap(str(i), 18)}<br><i>{s}, {k}</i>"
            for i, s, k in zip(part["initiative"], part["service"], part["kpi"], strict=True)
        ]
        for column, colour in (("before", "#90a4ae"), ("after", "#1565c0")):
            fig.add_trace(
                go.Bar(
                    x=labels,
                    y=part[column],
                    name=column,
                    legendgroup=column,
                    showlegend=col == 1,
                    marker={"color": colour},
                    hovertemplate=f"%{{x}}<br>{column}: %{{y:.2f}} {unit}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=part["target"],
                mode="markers",
                name="target",
                legendgroup="target",
                showlegend=col == 1,
                marker={"symbol": "line-ew-open", "size": 40, "color": TARGET_COLOR, "line": {"width": 3}},
                hovertemplate=f"%{{x}}<br>target %{{y:.2f}} {unit}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(rangemode="tozero", row=1, col=col)
        fig.update_xaxes(tickangle=0, row=1, col=col)
    fig.update_layout(barmode="group")
    fig = _layout(fig, title, "Initiative (service, KPI)", None)
    for col, unit in enumerate(units, start=1):
        fig.update_yaxes(title_text=unit or "value", row=1, col=col)
    fig.update_layout(margin={"b": 110}, height=fig.layout.margin.t + 110 + PLOT_PX)
    return fig
