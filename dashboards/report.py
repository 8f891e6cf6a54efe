"""The static report: one self-contained HTML file (plotly.js embedded once, no CDN) that opens offline.

`write_report` is what the Dagster asset and `itsm report` call.
"""

from __future__ import annotations

import html
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import plotly.offline

from dashboards.dq_table import table_html
from dashboards.export import export_pngs
from dashboards.queries import Filters, open_warehouse
from dashboards.status import STATUS_LABELS, Tile, format_value
from dashboards.views import REGISTER_HEADERS, SECTIONS, Views, build_views, register_rows

REPORT_NAME = "itsm_report.html"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png"}}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #212121;
       background: #fafafa; }
header { background: #263238; color: #fff; padding: 16px 24px; }
header h1 { margin: 0 0 4px 0; font-size: 22px; }
header p { margin: 0; font-size: 13px; color: #cfd8dc; }
nav { background: #37474f; padding: 6px 24px; position: sticky; top: 0; z-index: 10; }
nav a { color: #eceff1; margin-right: 16px; text-decoration: none; font-size: 14px; }
main { padding: 8px 24px 40px 24px; }
section { margin-top: 24px; }
h2 { border-bottom: 2px solid #cfd8dc; padding-bottom: 4px; }
.banner { padding: 12px 16px; border-radius: 4px; margin: 16px 0; font-weight: 600; }
.banner.blocking { background: #ffebee; border: 1px solid #c62828; color: #b71c1c; }
.banner.note { background: #fff8e1; border: 1px solid #f9a825; color: #6d4c00; font-weight: 400; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 12px; }
.tile { background: #fff; border-radius: 6px; padding: 12px 14px; border-left: 8px solid #9e9e9e;
        box-shadow: 0 1px 2px rgba(0,0,0,.12); }
.tile.green { border-left-color: #2e7d32; } .tile.amber { border-left-color: #f9a825; }
.tile.red { border-left-color: #c62828; }
.tile .label { font-size: 13px; color: #546e7a; }
.tile .value { font-size: 28px; font-weight: 700; margin: 4px 0; }
.tile .meta { font-size: 12px; color: #607d8b; }
.tile .status { font-size: 12px; font-weight: 700; text-transform: uppercase; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 12px; }
.card { background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.12); padding: 4px; }
table.plain { border-collapse: collapse; font-size: 13px; background: #fff; }
table.plain th, table.plain td { border: 1px solid #cfd8dc; padding: 4px 8px; text-align: left; }
.about { display: flex; flex-wrap: wrap; gap: 6px 28px; background: #eceff1; border-radius: 6px;
         padding: 10px 16px; margin: 16px 0 0 0; font-size: 13px; }
.about div { max-width: 100%; }
.about .k { color: #546e7a; margin-right: 6px; }
.about .v { font-weight: 600; }
.dq-summary { font-size: 14px; margin: 4px 0 8px 0; }
.dq-scroll { max-height: 560px; overflow-y: auto; background: #fff; border-radius: 6px;
             box-shadow: 0 1px 2px rgba(0,0,0,.12); margin-bottom: 12px; }
table.dq { width: 100%; border-collapse: collapse; font-size: 12.5px; }
table.dq th { position: sticky; top: 0; background: #cfd8dc; text-align: left; padding: 5px 8px; }
table.dq td { border-top: 1px solid #e0e0e0; padding: 4px 8px; vertical-align: top; }
table.dq td.status, table.dq td.severity, table.dq td.number, table.dq td.observed,
  table.dq td.checked { white-space: nowrap; }
table.dq td.status { font-weight: 700; }
table.dq td.number, table.dq th.number { text-align: right; }
table.dq td.check, table.dq td.asset { overflow-wrap: anywhere; }
table.dq tr.passed { background: #e8f5e9; } table.dq tr.blocking { background: #ffcdd2; }
table.dq tr.warning { background: #fff8e1; }
"""


@dataclass(frozen=True)
class ReportResult:
    path: Path
    seconds: float
    size_bytes: int
    png_paths: list[Path]
    problems: list[str]


def tile_html(tile: Tile) -> str:
    """One KPI tile; `data-kpi` / `data-value` let a reader's script (and the browser test) find the number."""
    value = format_value(tile.value, tile.unit)
    target = format_value(tile.target, tile.unit) if tile.target is not None else "n/a"
    if tile.delta is None:
        previous = "no previous month"
    else:
        previous = f"{format_value(tile.previous, tile.unit)} previous month ({tile.trend})"
    month = tile.month.strftime("%b %Y") if tile.month else "no data"
    raw = "" if tile.value is None else f"{tile.value:.6f}"
    return (
        f'<div class="tile {tile.status}" data-kpi="{html.escape(tile.kpi)}" data-value="{raw}" '
        f'data-status="{tile.status}">'
        f'<div class="label">{html.escape(tile.label)} · {month}</div>'
        f'<div class="value">{html.escape(value)}</div>'
        f'<div class="status">{STATUS_LABELS[tile.status]}</div>'
        f'<div class="meta">target {html.escape(target)}<br>{html.escape(previous)}</div></div>'
    )


def _blocking_banner(views: Views) -> str:
    failed = views.blocking_failures
    if len(failed) == 0:
        return ""
    names = ", ".join(html.escape(f"{r.check_name} ({r.asset})") for r in failed.itertuples())
    return (
        '<div class="banner blocking" id="dq-blocking-banner">Blocking data-quality checks failed: '
        f"{names}. Numbers that depend on these assets may be wrong; see Data quality.</div>"
    )


def _problems_note(views: Views) -> str:
    if not views.problems:
        return ""
    items = "".join(f"<li>{html.escape(p)}</li>" for p in views.problems)
    return f'<div class="banner note">Some sources could not be read (shown as no data):<ul>{items}</ul></div>'


def _register_table(views: Views) -> str:
    rows = register_rows(views.before_after)
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in REGISTER_HEADERS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="plain" id="improvement-register"><tr>{head}</tr>{body}</table>'


def about_html(views: Views) -> str:
    """The "about this data" strip under the header: period, export instant, open incidents, partial months."""
    items = "".join(
        f'<div><span class="k">{html.escape(k)}:</span><span class="v">{html.escape(v)}</span></div>'
        for k, v in views.about()
    )
    return f'<div class="about" id="about-data">{items}</div>'


def dq_table_html(views: Views) -> str:
    return table_html(views.dq_rows, views.dq_summary)


def render_html(views: Views, generated_at: datetime) -> str:
    """The whole page as one string; plotly.js is inlined once in <head>."""
    nav = "".join(f'<a href="#{sid}">{html.escape(heading)}</a>' for sid, heading, _ in SECTIONS)
    sections = []
    for sid, heading, figure_ids in SECTIONS:
        parts = [f'<section id="{sid}"><h2>{html.escape(heading)}</h2>']
        if sid == "overview":
            parts.append('<div class="tiles">' + "".join(tile_html(t) for t in views.tiles) + "</div>")
            if note := views.restated_note():
                parts.append(f'<div class="banner note" id="restated-note">{html.escape(note)}</div>')
        if sid == "data_quality":
            parts.append(dq_table_html(views))
        cards = "".join(
            '<div class="card">'
            + views.figures[fid].to_html(
                full_html=False, include_plotlyjs=False, div_id=f"fig-{fid}", config=PLOTLY_CONFIG
            )
            + "</div>"
            for fid in figure_ids
        )
        if cards:
            parts.append(f'<div class="grid">{cards}</div>')
        if sid == "improvement":
            parts.append(_register_table(views))
        parts.append("</section>")
        sections.append("".join(parts))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ITSM service report</title>
<style>{CSS}</style>
<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>
</head><body>
<header><h1>ITSM service report</h1>
<p>Generated {generated_at:%Y-%m-%d %H:%M} UTC · {html.escape(views.filters.describe())}</p></header>
<nav>{nav}</nav>
<main>{about_html(views)}{_blocking_banner(views)}{_problems_note(views)}{"".join(sections)}</main>
</body></html>
"""


def write_report(
    warehouse_path: Path, out_dir: Path, filters: Filters | None = None, png: bool = False
) -> ReportResult:
    """Read the warehouse read-only, write `out_dir/itsm_report.html` (and PNGs when asked), return what was done."""
    started = time.perf_counter()
    with open_warehouse(warehouse_path) as wh:
        views = build_views(wh, filters or Filters())
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_NAME
    # a temporary file of this writer's own (a run and `itsm report` may write at once), renamed into place: readers
    # never see a half-written report, and two writers never rename each other's file
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(render_html(views, datetime.now(UTC)), encoding="utf-8")
    tmp.replace(path)
    seconds = time.perf_counter() - started  # the report itself; PNG export is timed apart (a browser per run)
    pngs = export_pngs(views.figures, out_dir / "png") if png else []
    return ReportResult(path, seconds, path.stat().st_size, pngs, views.problems)
