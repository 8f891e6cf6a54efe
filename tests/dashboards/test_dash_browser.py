"""The report and the app in a real headless Chromium (Debian's package; no browser is ever downloaded).

Skipped with a reason when /usr/bin/chromium is missing (`make browser` installs it; `make test` depends on it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import PageErrors, assert_tiles_show, expected_tiles, layout_problems, needs_chromium
from small_warehouse import build_small_warehouse

from dashboards.report import write_report
from dashboards.views import SECTIONS

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small_warehouse(tmp_path_factory.mktemp("browser") / "itsm.duckdb")


def test_static_report_opens_offline_with_tiles_matching_duckdb(warehouse, browser, tmp_path):
    report = write_report(warehouse, tmp_path / "reports").path
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    requested: list[str] = []
    # Any request that is not the file itself would fail offline: record them to prove there are none.
    context.on("request", lambda req: requested.append(req.url) if not req.url.startswith("file://") else None)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(report.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")

    headings = page.locator("h2").all_inner_texts()
    assert headings == [heading for _, heading, _ in SECTIONS]
    n_figures = sum(len(ids) for _, _, ids in SECTIONS)
    assert page.locator(".js-plotly-plot").count() == n_figures
    assert_tiles_show(page, expected_tiles(warehouse))
    assert page.locator("#dq-blocking-banner").is_visible()
    assert page.locator("#about-data").is_visible()
    assert layout_problems(page) == []
    screenshot = tmp_path / "report.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 50_000
    assert errors.messages == []
    assert requested == []
    context.close()


def test_layout_check_sees_a_clipped_cell_and_a_covering_legend(warehouse, browser, tmp_path):
    """The measurement itself: squeeze a status cell and move a legend onto the plot, and it must say so."""
    report = write_report(warehouse, tmp_path / "reports").path
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(report.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
    assert layout_problems(page) == []
    # the plotly table's defect: fixed column widths that the text does not fit
    page.add_style_tag(
        content="#dq-checks { table-layout: fixed; } #dq-checks th.status { width: 30px; } "
        "#dq-checks td.status { overflow: hidden; }"
    )
    page.evaluate(
        "() => Plotly.relayout(document.getElementById('fig-sla_attainment'), "
        "{'legend.y': 0, 'legend.yanchor': 'top', 'legend.x': 0})"
    )
    problems = layout_problems(page)
    assert any(p.startswith('clipped cell "FAILED"') for p in problems), problems
    assert any(p.startswith("fig-sla_attainment: legend covers") for p in problems), problems
    page.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_url(warehouse: Path, tmp_path: Path) -> Iterator[str]:
    """The Dash app on a free port; stopped by its PID (and its process group) afterwards, whatever happens."""
    port = free_port()
    log = (tmp_path / "app.log").open("w")
    # Started exactly as a user would (`itsm dashboard`), in its own session so the whole group can be stopped.
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("itsm")), "dashboard", "--port", str(port)],
        # A reader waits this long for a writer before it says so (the default, 30 s, outlasts a page's wait).
        env={**os.environ, "ITSM_WAREHOUSE": str(warehouse), "ITSM_READER_WAIT_SECONDS": "2"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app exited with {proc.returncode}: {(tmp_path / 'app.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("app did not answer within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
        assert proc.returncode is not None


def sla_trace_values(page) -> dict[str, list[float]]:
    return page.evaluate(
        """() => Object.fromEntries(document.querySelector('#fig-sla_attainment .js-plotly-plot').data
                 .map(t => [t.name, Array.from(t.y._inputArray || t.y)]))"""
    )


def test_app_filter_changes_tiles_and_figures(warehouse, browser, app_url, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = PageErrors(page)
    page.goto(app_url)
    page.wait_for_selector('[data-kpi="sla_resolution_attainment_pct"]')
    assert page.locator("h2").all_inner_texts() == [heading for _, heading, _ in SECTIONS]
    assert_tiles_show(page, expected_tiles(warehouse))
    page.wait_for_selector("#dq-checks")
    assert layout_problems(page) == []
    # header + the three initiatives of the improvement_register seed
    assert page.locator("#improvement-register tr").count() == 4
    before = sla_trace_values(page)
    # P3 May: T2 breached, T3, T4 met -> 66.7 %; June: T6, T7, T9 breached, T8 met -> 25 %
    assert before["P3"] == pytest.approx([200 / 3, 25.0])

    page.click("#filter-service")
    page.get_by_role("option", name="email").click()
    page.keyboard.press("Escape")
    expected = expected_tiles(warehouse, service="email")
    page.wait_for_function(
        "v => document.querySelector('[data-kpi=\"sla_resolution_attainment_pct\"]').dataset.value === v",
        arg=f"{expected['sla_resolution_attainment_pct']:.6f}",
    )
    assert_tiles_show(page, expected)
    # email only, P3: May T2 breached -> 0 %; June T6 breached -> 0 %
    assert sla_trace_values(page)["P3"] == [0.0, 0.0]
    page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
    assert (tmp_path / "app.png").stat().st_size > 50_000
    assert errors.messages == []
    page.close()


def test_app_says_so_while_a_pipeline_holds_the_warehouse(warehouse, browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector('[data-kpi="sla_resolution_attainment_pct"]')
    # A writer (as dbt or the loader would be) takes DuckDB's exclusive lock in another process.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()",
            str(warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        page.click("#filter-priority")
        page.get_by_role("option", name="P1").click()
        page.keyboard.press("Escape")
        page.wait_for_selector("text=Warehouse not readable right now")
        assert page.locator("[data-kpi]").count() == 0
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    # Lock released: the next change reads again (P1 only: T1 May met, T5 June met -> 100 %).
    page.click("#filter-priority")
    page.get_by_role("option", name="P3").click()
    page.get_by_role("option", name="P3").click()
    page.keyboard.press("Escape")
    page.wait_for_selector('[data-kpi="sla_resolution_attainment_pct"][data-value="100.000000"]')
    page.close()
