"""The interactive local app (Dash): the report's sections with filters, on 127.0.0.1.

A thin layer over `views.build_views`, the same code the static report renders. Each filter change opens the DuckDB
file read-only, runs the aggregate queries and closes it again, so the pipeline can keep loading between clicks;
when the file is busy or missing the page says so instead of failing.

Run: `itsm dashboard` (or `python -m dashboards.app --warehouse PATH --port 8050`).
"""

from __future__ import annotations

import argparse
import logging
from datetime import date
from pathlib import Path

import duckdb
from dash import Dash, Input, Output, dash_table, dcc, html
from flask import Response, request

from dashboards.dq_table import DQ_COLUMNS
from dashboards.figures import empty_figure
from dashboards.queries import Filters, filter_options, open_warehouse
from dashboards.report import CSS, PLOTLY_CONFIG
from dashboards.status import STATUS_LABELS, Tile, format_value
from dashboards.views import FIGURE_IDS, REGISTER_HEADERS, SECTIONS, Views, build_views, register_rows
from pipelines.errors import WarehouseBusy, WarehouseDamaged
from pipelines.local_web import FORBIDDEN_MESSAGE, allowed_names, host_allowed

log = logging.getLogger(__name__)
FILTER_IDS = ("filter-start", "filter-end", "filter-service", "filter-priority", "filter-group")


def _tile(tile: Tile) -> html.Div:
    target = format_value(tile.target, tile.unit) if tile.target is not None else "n/a"
    previous = (
        "no previous month"
        if tile.delta is None
        else f"{format_value(tile.previous, tile.unit)} previous month ({tile.trend})"
    )
    month = tile.month.strftime("%b %Y") if tile.month else "no data"
    return html.Div(
        className=f"tile {tile.status}",
        **{"data-kpi": tile.kpi, "data-value": "" if tile.value is None else f"{tile.value:.6f}"},
        children=[
            html.Div(f"{tile.label} · {month}", className="label"),
            html.Div(format_value(tile.value, tile.unit), className="value"),
            html.Div(STATUS_LABELS[tile.status], className="status"),
            html.Div([f"target {target}", html.Br(), previous], className="meta"),
        ],
    )


def _about(views: Views) -> list:
    return [html.Div([html.Span(f"{k}:", className="k"), html.Span(v, className="v")]) for k, v in views.about()]


# The report's table rules in DataTable terms: long identifiers wrap, short columns never do, rows coloured by
# outcome (report.CSS: table.dq). One component for all rows: a Dash component per cell takes minutes to draw.
NOWRAP = ("status", "severity", "number", "observed", "checked")
ROW_COLOURS = [
    ({"filter_query": '{status} = "PASSED"'}, "#e8f5e9"),
    ({"filter_query": '{status} != "PASSED" && {severity} = "blocking"'}, "#ffcdd2"),
    ({"filter_query": '{status} != "PASSED" && {severity} != "blocking"'}, "#fff8e1"),
]


def _dq_table(views: Views) -> list:
    """The data-quality summary and the same cells as the report's table (dq_table.DQ_COLUMNS), hover = details."""
    children: list = [html.Div([html.P(line) for line in views.dq_summary], className="dq-summary", id="dq-summary")]
    if not views.dq_rows:
        return children
    ids = [c.css_class for c in DQ_COLUMNS]
    children.append(
        dash_table.DataTable(
            id="dq-checks",
            columns=[{"name": c.header, "id": c.css_class} for c in DQ_COLUMNS],
            data=[dict(zip(ids, row.cells, strict=True)) for row in views.dq_rows],
            tooltip_data=[{"check": {"value": row.details, "type": "text"}} for row in views.dq_rows],
            tooltip_duration=None,
            # No fixed header rows: DataTable then sizes columns apart from the body and the table overflows.
            style_table={"maxHeight": "560px", "overflowY": "auto", "width": "100%"},
            style_header={"backgroundColor": "#cfd8dc", "fontWeight": "bold", "whiteSpace": "normal"},
            style_cell={
                "textAlign": "left",
                "fontFamily": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
                "fontSize": "12.5px",
                "padding": "4px 8px",
                "whiteSpace": "normal",
                "height": "auto",
            },
            style_cell_conditional=[{"if": {"column_id": c}, "whiteSpace": "nowrap"} for c in NOWRAP]
            + [{"if": {"column_id": "number"}, "textAlign": "right"}]
            # DataTable sizes a column to its longest text; a bound lets 140-character check names wrap instead
            + [{"if": {"column_id": c}, "maxWidth": w} for c, w in (("check", "520px"), ("asset", "220px"))],
            # DataTable's own cell style cuts long text with an ellipsis; let the cell's rules decide instead, and
            # let a long name wrap anywhere (style_cell drops overflow-wrap). Nowrap columns stay on one line.
            css=[
                {
                    "selector": ".dash-cell div.dash-cell-value",
                    "rule": "display: inline; white-space: inherit; overflow: inherit; text-overflow: inherit;",
                },
                {"selector": "td.dash-cell", "rule": "overflow-wrap: anywhere;"},
            ],
            style_data_conditional=[{"if": cond, "backgroundColor": colour} for cond, colour in ROW_COLOURS],
        )
    )
    return children


def _options(warehouse_path: Path) -> dict[str, list]:
    try:
        with open_warehouse(warehouse_path) as wh:
            return filter_options(wh)
    except (FileNotFoundError, duckdb.IOException) as err:
        log.warning("filter options unavailable: %s", err)
        return {"months": [], "services": [], "priorities": [1, 2, 3, 4], "groups": []}


def _layout(warehouse_path: Path) -> html.Div:
    opts = _options(warehouse_path)
    months = [{"label": m.strftime("%b %Y"), "value": m.isoformat()} for m in opts["months"]]

    def dropdown(id_: str, options: list, placeholder: str, multi: bool = True, value: object = None) -> html.Div:
        return html.Div(
            [
                html.Label(placeholder, htmlFor=id_),
                dcc.Dropdown(id=id_, options=options, multi=multi, value=value, placeholder="all"),
            ],
            className="filter",
        )

    sections = []
    for sid, heading, figure_ids in SECTIONS:
        children: list = [html.H2(heading)]
        if sid == "overview":
            children.append(html.Div(id="tiles", className="tiles"))
        if sid == "data_quality":
            children.append(html.Div(id="dq-table"))
        if figure_ids:
            children.append(
                html.Div(
                    [
                        html.Div(dcc.Graph(id=f"fig-{fid}", config=PLOTLY_CONFIG), className="card")
                        for fid in figure_ids
                    ],
                    className="grid",
                )
            )
        if sid == "improvement":
            children.append(html.Div(id="improvement-register"))
        sections.append(html.Section(children, id=sid))
    return html.Div(
        [
            html.Header(
                [html.H1("ITSM service dashboard"), html.P(f"warehouse {warehouse_path} (read-only)")],
            ),
            html.Nav([html.A(heading, href=f"#{sid}") for sid, heading, _ in SECTIONS]),
            html.Main(
                [
                    html.Div(
                        [
                            dropdown("filter-start", months, "From month", multi=False),
                            dropdown("filter-end", months, "To month", multi=False),
                            dropdown("filter-service", opts["services"], "Service"),
                            dropdown(
                                "filter-priority",
                                [{"label": f"P{p}", "value": p} for p in opts["priorities"]],
                                "Priority",
                            ),
                            dropdown("filter-group", opts["groups"], "Assignment group"),
                        ],
                        className="filters",
                    ),
                    html.Div(id="about-data", className="about"),
                    html.Div(id="banner"),
                    *sections,
                ]
            ),
        ]
    )


def _filters(start: str | None, end: str | None, services, priorities, groups) -> Filters:
    return Filters(
        start_month=date.fromisoformat(start) if start else None,
        end_month=date.fromisoformat(end) if end else None,
        services=tuple(services or ()),
        priorities=tuple(int(p) for p in priorities or ()),
        groups=tuple(groups or ()),
    )


def create_app(warehouse_path: Path, bind_host: str = "127.0.0.1") -> Dash:
    """The Dash app for one warehouse file; every asset is served locally (works offline).

    Only requests addressed to localhost, 127.0.0.1, [::1] (or the address given with --host) are answered:
    any other Host header gets 403, so a web page cannot read the dashboard through DNS rebinding."""
    app = Dash(__name__, title="ITSM service dashboard", serve_locally=True)
    names = allowed_names(bind_host)

    @app.server.before_request
    def local_hosts_only():
        if not host_allowed(request.host, names):
            return Response(FORBIDDEN_MESSAGE, status=403, mimetype="text/plain")
        return None

    app.index_string = app.index_string.replace(
        "{%css%}",
        "{%css%}<style>"
        + CSS
        + ".filters{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin-top:12px}"
        + ".filter label{font-size:13px;color:#546e7a}</style>",
    )
    app.layout = lambda: _layout(warehouse_path)  # re-read filter choices on each page load

    @app.callback(
        [
            Output("tiles", "children"),
            Output("banner", "children"),
            Output("improvement-register", "children"),
            Output("about-data", "children"),
            Output("dq-table", "children"),
        ]
        + [Output(f"fig-{fid}", "figure") for fid in FIGURE_IDS],
        [Input(fid, "value") for fid in FILTER_IDS],
    )
    def refresh(start, end, services, priorities, groups):
        selection = _filters(start, end, services, priorities, groups)
        try:
            with open_warehouse(warehouse_path) as wh:
                views = build_views(wh, selection)
        except (FileNotFoundError, duckdb.IOException, WarehouseBusy, WarehouseDamaged) as err:
            message = f"Warehouse not readable right now ({err}); retry in a moment."
            figs = [empty_figure(f, message) for f in FIGURE_IDS]
            return [], html.Div(message, className="banner note"), [], [], [], *figs
        banner = []
        if len(views.blocking_failures):
            names = ", ".join(f"{r.check_name} ({r.asset})" for r in views.blocking_failures.itertuples())
            banner.append(
                html.Div(
                    f"Blocking data-quality checks failed: {names}. Numbers that depend on these assets may be wrong.",
                    className="banner blocking",
                    id="dq-blocking-banner",
                )
            )
        if note := views.restated_note():
            banner.append(html.Div(note, className="banner note", id="restated-note"))
        if views.problems:
            banner.append(
                html.Div(
                    [
                        "Some sources could not be read (shown as no data):",
                        html.Ul([html.Li(p) for p in views.problems]),
                    ],
                    className="banner note",
                )
            )
        rows = register_rows(views.before_after)
        register = (
            html.Table(
                [html.Tr([html.Th(h) for h in REGISTER_HEADERS]), *[html.Tr([html.Td(c) for c in r]) for r in rows]],
                className="plain",
            )
            if rows
            else []
        )
        return (
            [_tile(t) for t in views.tiles],
            banner,
            register,
            _about(views),
            _dq_table(views),
            *[views.figures[fid] for fid in FIGURE_IDS],
        )

    return app


def serve(warehouse_path: Path, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Blocking: serve the app (no debug reloader, so the process is the only one to stop)."""
    create_app(warehouse_path, bind_host=host).run(host=host, port=port, debug=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the ITSM dashboard on a local port.")
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    args = parser.parse_args(argv)
    serve(args.warehouse, args.host, args.port)


if __name__ == "__main__":
    main()
