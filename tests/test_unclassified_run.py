"""`itsm run` on an export we did not generate: no service column, dates before 2025, a history that starts
mid-life. The run must exit 0, and its closing lines (and the report's data-quality section, and the warning
check) say what could not be classified.

The canonical tickets file has no `service` column at all (every ticket lands under 'unassigned'); OLD_2016
opens before the shipped 2025 policy versions (the open-ended default policies give it a clock); MID_LIFE's
event log starts in 'resolved'. The canonical contract only admits priorities 1-4, which the shipped default
policies all cover, so a "no SLA policy" line cannot arise from a canonical export with the shipped seeds
(tests/dbt/test_foreign_exports.py counts one with a priority no policy covers).
"""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_itsm

pytestmark = pytest.mark.slow  # a whole `itsm run`

TICKETS = [
    # ticket_id, opened_at, resolved_at, state
    ("OLD_2016", "2016-03-01T10:00:00Z", "2016-03-01T14:00:00Z", "resolved"),
    ("MID_LIFE", "2016-03-02T10:00:00Z", "2016-03-09T12:00:00Z", "resolved"),
]
EVENTS = [
    ("MID_LIFE", "2016-03-09T10:00:00Z", "state", "resolved", "in_progress"),
    ("MID_LIFE", "2016-03-09T12:00:00Z", "state", "in_progress", "resolved"),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    root = tmp_path_factory.mktemp("unclassified")
    (root / "dagster_home").mkdir()
    inbox = root / "inbox"
    inbox.mkdir()
    with (inbox / "tickets.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ticket_id", "ticket_type", "opened_at", "resolved_at", "state", "priority"])
        writer.writerows((tid, "incident", opened, resolved, state, 3) for tid, opened, resolved, state in TICKETS)
    with (inbox / "ticket_events.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ticket_id", "event_at", "field", "from_value", "to_value"])
        writer.writerows(EVENTS)
    env = {
        **os.environ,
        "ITSM_WAREHOUSE": str(root / "warehouse" / "itsm.duckdb"),
        "ITSM_INBOX": str(inbox),
        "ITSM_OUTPUT_DIR": str(root / "build"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    proc = run_itsm(["run"], env, check=False)
    return proc, Path(env["ITSM_WAREHOUSE"])


def test_run_exits_0_and_prints_what_it_could_not_classify(run: tuple[subprocess.CompletedProcess, Path]) -> None:
    proc, _ = run
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "Could not classify (counted, not dropped" in out
    assert "2 tickets named no service (counted under the unassigned service) (e.g. MID_LIFE, OLD_2016)" in out
    assert "1 ticket had a history starting mid-life" in out and "(e.g. MID_LIFE)" in out
    assert "matched no SLA policy" not in out  # the default policies cover 2016
    assert "business calendar" not in out


def test_the_warning_check_and_the_report_say_the_same(run: tuple[subprocess.CompletedProcess, Path]) -> None:
    _, warehouse = run
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        (status, severity, observed) = conn.execute(
            "select status, severity, observed_value from dq.check_results where check_name = 'tickets__unclassified'"
        ).fetchone()
    assert (status, severity, observed) == ("failed", "warning", 3.0)  # 2 no service + 1 mid-life
    html = (warehouse.parents[1] / "build" / "reports" / "itsm_report.html").read_text()
    assert "Tickets not fully classified" in html
    assert "2 tickets named no service" in html
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        policies = conn.execute(
            "select policy_id from marts.fct_ticket_sla where ticket_id = 'OLD_2016' order by policy_id"
        ).fetchall()
    assert policies == [("INC-P3-RES-default",), ("INC-P3-RESP-default",)]  # a 2016 ticket gets its clocks
