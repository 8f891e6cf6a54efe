"""sla-breaches and availability extracts over the real dbt marts (SLA engine, availability engine), on
hand-made raw rows whose expected results are computed by hand below.

Tickets (incident, P1: policy INC-P1-RES-v1, 240 min resolution on the 24x7 calendar, no pauses):
- T1 email, opened 2026-10-05 09:00, resolved 15:00 -> 6 h elapsed, breached at 09:00 + 4 h = 13:00.
- T2 email, opened 2026-10-06 09:00, resolved 10:00 -> 1 h, met.
Outages of email (no service-hours calendar: agreed time is 24/7), change CH1 approved, window 01:00-03:00 10-12:
- O1 unplanned 10-10 10:00-11:00, caused by CH2   -> counted, 1 h
Change CH2: emergency, started 10-10 09:30, approved 12:00 (unauthorized), named by O1 (a change failure).
- O2 planned   10-12 01:00-03:00 for CH1          -> approved maintenance
- O3 unplanned 10-12 02:00-02:30 inside O2         -> excluded (inside approved maintenance)
- O4 unplanned 10-20 12:00, "ending" 11:00         -> bad data (ends before start), never counted
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from audit_cli import KEY, rows
from audit_rows import insert_raw, record_check_run

from pipelines.extracts.request import ExtractRequest
from pipelines.extracts.runner import run_extract
from pipelines.extracts.verify import verify_extract
from pipelines.ingest.schema import ensure_raw_schema

OCTOBER = {"date_from": date(2026, 10, 1), "date_to": date(2026, 10, 31)}
SELECT = [
    "--select", "+fct_sla_explain", "+fct_ticket_sla", "+kpi_availability_monthly", "+fct_outage", "+fct_change",
    "audit_build_info", "stg_raw__tickets", "stg_raw__outages", "--indirect-selection", "cautious",
]  # fmt: skip


def ticket(tid: str, opened: str, resolved: str) -> dict[str, object]:
    return {
        "ticket_id": tid, "ticket_type": "incident", "opened_at": opened, "first_response_at": opened,
        "resolved_at": resolved, "closed_at": resolved, "state": "closed", "priority": 1, "service": "email",
        "assignment_group": "messaging", "assignee": "Alice Smith", "caller": "Bob Jones",
    }  # fmt: skip


def outage(oid: str, kind: str, start: str, end: str, change: str | None = None) -> dict[str, object]:
    return {"outage_id": oid, "service": "email", "outage_type": kind, "started_at": start, "ended_at": end,
            "change_id": change}  # fmt: skip


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> Path:
    root = tmp_path_factory.mktemp("real_marts")
    warehouse = root / "itsm.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        ensure_raw_schema(conn)
        for n, t in enumerate([ticket("T1", "2026-10-05 09:00Z", "2026-10-05 15:00Z"),
                               ticket("T2", "2026-10-06 09:00Z", "2026-10-06 10:00Z")], 1):  # fmt: skip
            insert_raw(conn, "tickets", t, 1, n, file="tickets.csv")
        change = {
            "change_id": "CH1", "change_type": "normal", "service": "email", "requested_at": "2026-10-01 08:00Z",
            "approved_at": "2026-10-02 08:00Z", "planned_start": "2026-10-12 01:00Z",
            "planned_end": "2026-10-12 03:00Z", "actual_start": "2026-10-12 01:00Z",
            "actual_end": "2026-10-12 03:00Z", "close_code": "successful", "state": "closed",
        }  # fmt: skip
        insert_raw(conn, "changes", change, 2, 1, file="changes.csv")
        emergency = {
            **change, "change_id": "CH2", "change_type": "emergency", "approved_at": "2026-10-10 12:00Z",
            "planned_start": None, "planned_end": None, "actual_start": "2026-10-10 09:30Z",
            "actual_end": "2026-10-10 09:45Z",
        }  # fmt: skip
        insert_raw(conn, "changes", emergency, 2, 2, file="changes.csv")
        for n, o in enumerate([
            outage("O1", "unplanned", "2026-10-10 10:00Z", "2026-10-10 11:00Z", "CH2"),
            outage("O2", "planned", "2026-10-12 01:00Z", "2026-10-12 03:00Z", "CH1"),
            outage("O3", "unplanned", "2026-10-12 02:00Z", "2026-10-12 02:30Z"),
            outage("O4", "unplanned", "2026-10-20 12:00Z", "2026-10-20 11:00Z"),
        ], 1):  # fmt: skip
            insert_raw(conn, "outages", o, 3, n, file="outages.csv")
    dbt(["build", *SELECT], warehouse, root)
    # O4 ends before it starts on purpose (the availability extract must show it excluded, and why)
    planted = ("raw_outages__started_at_before_ended_at", "O4", "planted: an outage that ends before it starts")
    record_check_run(warehouse, acknowledged=(planted,))
    return warehouse


def extract(warehouse: Path, out: Path, kind: str, **options: object) -> Path:
    result = run_extract(ExtractRequest(kind=kind, **{**OCTOBER, **options}), out, warehouse, KEY)
    assert verify_extract(result.out_dir, result.manifest_sha256).ok
    return result.out_dir


def test_sla_breaches_from_the_real_sla_engine(marts: Path, tmp_path: Path):
    out = extract(marts, tmp_path / "x", "sla-breaches")
    breaches = rows(out / "sla_breaches.parquet")
    # Only T1's resolution clock breached; T2 took 1 h of its 4 h.
    assert [(b["ticket_id"], b["metric"]) for b in breaches] == [("T1", "resolution")]
    (t1,) = breaches
    assert t1["policy_id"] == "INC-P1-RES-v1" and t1["target_seconds"] == 240 * 60
    assert t1["breach_at"] == datetime(2026, 10, 5, 13, 0, tzinfo=UTC)  # 09:00 + 240 min, 24x7
    assert t1["elapsed_business_seconds"] == 6 * 3600  # 09:00 -> 15:00
    assert t1["assignee"].startswith("p_") and t1["caller"].startswith("p_")
    trace = rows(out / "sla_breach_trace.parquet")
    assert {r["sla_id"] for r in trace} == {t1["sla_id"]}
    assert sum(r["counted_seconds"] for r in trace) == 6 * 3600  # the trace adds up to the clock
    assert [r["target_crossed_at"] for r in trace if r["target_crossed_at"]] == [t1["breach_at"]]


def test_availability_counts_excludes_and_says_why(marts: Path, tmp_path: Path):
    out = extract(marts, tmp_path / "x", "availability", service="email")
    (month,) = rows(out / "availability_monthly.parquet")
    assert month["month"] == date(2026, 10, 1)
    assert month["downtime_hours"] == pytest.approx(1.0)  # O1 only
    assert month["outages"] == 1
    # availability = (agreed - downtime) / agreed, target 99.9 % from seeds/services.csv
    assert month["availability_pct"] == pytest.approx(100 * (month["agreed_hours"] - 1) / month["agreed_hours"])
    assert month["target_pct"] == pytest.approx(99.9)

    outages = {o["source_outage_ids"]: o for o in rows(out / "outages.parquet")}
    assert outages["O1"]["is_counted"] and outages["O1"]["treatment"].startswith("counted")
    assert outages["O1"]["agreed_downtime_hours"] == pytest.approx(1.0)
    assert not outages["O3"]["is_counted"]
    assert outages["O3"]["treatment"].startswith("excluded: inside approved maintenance")

    records = {r["outage_id"]: r for r in rows(out / "outage_records.parquet")}
    assert records["O2"]["treatment"].startswith("approved maintenance")
    assert records["O4"]["treatment"] == "excluded: bad data (ends_before_start)"
    assert records["O4"]["merged_into_outage_key"] is None
    assert records["O1"]["merged_into_outage_key"] == outages["O1"]["outage_key"]


def test_changes_from_the_real_change_mart(marts: Path, tmp_path: Path):
    out = extract(marts, tmp_path / "x", "changes")
    # CH1 was approved before it started, normal, successful, caused nothing: not an audit finding.
    # CH2 is an emergency change that started 09:30, was approved at 12:00, and O1 names it.
    changes = rows(out / "changes.parquet")
    assert [(c["change_id"], c["reasons"]) for c in changes] == [("CH2", "unauthorized;emergency;caused_failure")]
    links = [(r["link_type"], r["linked_id"], r["linked_kind"]) for r in rows(out / "change_links.parquet")]
    assert links == [("outage", "O1", "unplanned")]
