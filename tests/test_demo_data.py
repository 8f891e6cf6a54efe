"""The demo data generator: deterministic, inside the contract (except the seeded defects), internally consistent.

One small generation (2,000 tickets) is shared by the module; each test reads the written files back, so the tests
prove what the pipeline will actually see, not what the generator holds in memory.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from data_quality.contract import TABLES
from pipelines.cli import main
from pipelines.demo import DEMO_FILES, generate_demo_data
from pipelines.settings import REFERENCE_DIR

N_TICKETS = 2000
WINDOW_START = datetime(2025, 11, 1, tzinfo=UTC)
WINDOW_END = datetime(2026, 11, 1, tzinfo=UTC)
TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
CANONICAL_FILES = {
    "tickets": "tickets.csv",
    "ticket_events": "ticket_events.parquet",
    "changes": "changes.csv",
    "outages": "outages.jsonl",
    "surveys": "surveys.csv",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo")
    summary = generate_demo_data(out, seed=42, n_tickets=N_TICKETS)
    return out, summary


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Raw CSV records, ragged ones included (the truncated last line must not be hidden by a lenient reader)."""
    with path.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def read_table(out: Path, table: str) -> pl.DataFrame:
    """A canonical file as all-string columns, rows with a seeded defect removed (they are tested separately)."""
    defects = json.loads((out / ".defects.json").read_text())["defects"]
    broken_lines = {d["line_number"] for d in defects if d["table"] == table}
    path = out / CANONICAL_FILES[table]
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        return frame.with_columns(pl.col(pl.Datetime).dt.strftime(TS_FORMAT))
    if path.suffix == ".jsonl":
        return pl.read_ndjson(path, infer_schema_length=None)
    header, rows = read_rows(path)
    kept = [row for line, row in enumerate(rows, start=2) if line not in broken_lines]
    return pl.DataFrame(kept, schema=header, orient="row").with_columns(pl.all().replace("", None))


def ts(column: str) -> pl.Expr:
    return pl.col(column).str.to_datetime(TS_FORMAT, time_zone="UTC")


def test_same_seed_writes_byte_identical_files_and_another_seed_does_not(demo, tmp_path: Path) -> None:
    out, _ = demo
    again = tmp_path / "again"
    generate_demo_data(again, seed=42, n_tickets=N_TICKETS)
    for name in DEMO_FILES:
        assert (out / name).read_bytes() == (again / name).read_bytes(), name
    other = tmp_path / "other"
    generate_demo_data(other, seed=43, n_tickets=N_TICKETS)
    assert (out / "tickets.csv").read_bytes() != (other / "tickets.csv").read_bytes()


def test_every_contract_column_is_present_in_contract_order(demo) -> None:
    out, _ = demo
    for table, name in CANONICAL_FILES.items():
        path = out / name
        if path.suffix == ".parquet":
            columns = pl.read_parquet_schema(path).names()
        elif path.suffix == ".jsonl":
            columns = list(json.loads(path.read_text().splitlines()[0]))
        else:
            columns = read_rows(path)[0]
        assert columns == TABLES[table].column_names, table


def test_value_sets_required_columns_and_ranges_hold_except_the_seeded_defects(demo) -> None:
    out, _ = demo
    for table, spec in TABLES.items():
        frame = read_table(out, table)
        assert frame.height > 0
        for column in spec.columns:
            values = frame[column.name].cast(pl.String).drop_nulls()
            if column.required:
                assert frame[column.name].null_count() == 0, f"{table}.{column.name} has empty required values"
            if column.allowed:
                assert set(values.unique()) <= set(column.allowed), f"{table}.{column.name}"
            if column.min_value is not None:
                assert values.cast(pl.Float64).min() >= column.min_value, f"{table}.{column.name}"
            if column.max_value is not None:
                assert values.cast(pl.Float64).max() <= column.max_value, f"{table}.{column.name}"
            if column.type == "TIMESTAMPTZ":
                # Every timestamp parses with the one canonical format (strict: a bad one raises).
                values.str.to_datetime(TS_FORMAT, strict=True)


def test_the_defects_file_names_each_seeded_defect_and_the_files_hold_them(demo) -> None:
    out, summary = demo
    manifest = json.loads((out / ".defects.json").read_text())
    kinds = {d["kind"]: d for d in manifest["defects"]}
    assert set(kinds) == {"bad_date", "duplicate_row", "missing_required", "unknown_priority", "truncated_line"}
    assert [d.kind for d in summary.defects] == [d["kind"] for d in manifest["defects"]]

    lines = (out / "tickets.csv").read_text().split("\n")
    header = lines[0].split(",")
    bad_date = lines[kinds["bad_date"]["line_number"] - 1].split(",")
    assert bad_date[header.index("opened_at")] == "2026-02-30T09:15:00Z"
    assert bad_date[0] == kinds["bad_date"]["key"]
    unknown = lines[kinds["unknown_priority"]["line_number"] - 1].split(",")
    assert unknown[header.index("priority")] == "7"
    duplicate_line = kinds["duplicate_row"]["line_number"]
    assert lines[duplicate_line - 1] == lines[duplicate_line - 2]  # the copy sits right after the original
    assert sum(line.startswith(kinds["duplicate_row"]["key"] + ",") for line in lines) == 2

    header, rows = read_rows(out / "changes.csv")
    missing = rows[kinds["missing_required"]["line_number"] - 2]
    assert missing[0] == kinds["missing_required"]["key"]
    assert missing[header.index("change_type")] == ""

    surveys = (out / "surveys.csv").read_bytes()
    assert not surveys.endswith(b"\n")
    header, rows = read_rows(out / "surveys.csv")
    assert len(rows) == kinds["truncated_line"]["row_number"]
    assert len(rows[-1]) < len(header)
    assert all(len(row) == len(header) for row in rows[:-1])


def test_events_agree_with_their_tickets(demo) -> None:
    out, _ = demo
    tickets = read_table(out, "tickets").unique("ticket_id", keep="first")
    events = read_table(out, "ticket_events")
    state = pl.col("field") == "state"
    per_ticket = (
        events.sort("ticket_id", "event_at")
        .group_by("ticket_id")
        .agg(
            reassignments=(pl.col("field") == "assignment_group").sum(),
            reopens=(state & (pl.col("from_value") == "resolved") & (pl.col("to_value") == "in_progress")).sum(),
            first_out_of_new=pl.col("event_at").filter(state & (pl.col("from_value") == "new")).min(),
            last_state=pl.col("to_value").filter(state).last(),
            last_priority=pl.col("to_value").filter(pl.col("field") == "priority").last(),
            last_group=pl.col("to_value").filter(pl.col("field") == "assignment_group").last(),
        )
    )
    joined = tickets.join(per_ticket, on="ticket_id", how="left").with_columns(
        pl.col("reassignments", "reopens").fill_null(0)
    )
    assert joined.filter(pl.col("reassignments") != pl.col("reassignment_count").cast(pl.Int64)).height == 0
    assert joined.filter(pl.col("reopens") != pl.col("reopen_count").cast(pl.Int64)).height == 0
    responded = joined.filter(pl.col("state") != "cancelled")
    assert responded.filter(pl.col("first_out_of_new") != pl.col("first_response_at")).height == 0
    assert joined.filter(pl.col("last_state").fill_null("new") != pl.col("state")).height == 0
    changed = joined.filter(pl.col("last_priority").is_not_null())
    assert changed.height > 0
    assert changed.filter(pl.col("last_priority") != pl.col("priority")).height == 0
    moved = joined.filter(pl.col("last_group").is_not_null())
    assert moved.filter(pl.col("last_group") != pl.col("assignment_group")).height == 0
    # The lifecycle the demo must show: pauses, reopens, reassignments, priority changes, about 5 events a ticket.
    assert events.filter(state & pl.col("to_value").is_in(["on_hold", "awaiting_customer"])).height > 0
    assert joined.filter(pl.col("reopens") > 0).height > 0
    assert joined.filter(pl.col("reassignments") > 1).height > 0
    assert 4.0 <= events.height / tickets.height <= 6.5
    # Ticket times follow event order: opened <= first response <= resolved <= closed.
    ordered = tickets.select(ts("opened_at"), ts("first_response_at"), ts("resolved_at"), ts("closed_at"))
    assert ordered.filter(pl.col("first_response_at") < pl.col("opened_at")).height == 0
    assert ordered.filter(pl.col("resolved_at") < pl.col("first_response_at")).height == 0
    assert ordered.filter(pl.col("closed_at") < pl.col("resolved_at")).height == 0


def test_some_pauses_span_a_weekend(demo) -> None:
    out, _ = demo
    events = read_table(out, "ticket_events").with_columns(ts("event_at")).sort("ticket_id", "event_at")
    pauses = (
        events.filter(pl.col("field") == "state")
        .with_columns(
            ended=pl.col("event_at").shift(-1).over("ticket_id"),
        )
        .filter(pl.col("to_value").is_in(["on_hold", "awaiting_customer"]) & pl.col("ended").is_not_null())
    )
    # A pause that starts on a Friday and ends on the next Monday or later covers a whole weekend.
    weekend = pauses.filter(
        (pl.col("event_at").dt.weekday() == 5) & ((pl.col("ended") - pl.col("event_at")) > pl.duration(days=2))
    )
    assert weekend.height > 0


def test_twelve_month_window_and_a_few_percent_open_at_the_export(demo) -> None:
    out, _ = demo
    tickets = read_table(out, "tickets").with_columns(ts("opened_at"))
    assert tickets["opened_at"].min() >= WINDOW_START
    assert tickets["opened_at"].max() < WINDOW_END
    assert (tickets["opened_at"].max() - tickets["opened_at"].min()).days >= 360
    months = tickets["opened_at"].dt.strftime("%Y-%m").unique()
    assert len(months) == 12
    events = read_table(out, "ticket_events").with_columns(ts("event_at"))
    assert events["event_at"].max() < WINDOW_END
    open_share = tickets.filter(~pl.col("state").is_in(["resolved", "closed", "cancelled"])).height / tickets.height
    assert 0.01 <= open_share <= 0.06  # the issue asks for about 3%
    assert tickets.filter(pl.col("state") == "cancelled").height > 0
    counts = tickets["priority"].value_counts()
    share = {row["priority"]: row["count"] / tickets.height for row in counts.iter_rows(named=True)}
    assert share["3"] + share["4"] > 0.7 > share["1"] + share["2"]  # skewed to 3-4


def test_most_tickets_open_in_the_support_hours_of_their_service(demo) -> None:
    out, _ = demo
    services = pl.read_csv(REFERENCE_DIR / "services.csv", infer_schema=False)
    calendars = pl.read_csv(REFERENCE_DIR / "calendars.csv", infer_schema=False)
    tickets = read_table(out, "tickets").with_columns(ts("opened_at")).join(services, on="service")
    inside = 0
    for (calendar_id,), group in tickets.group_by("support_calendar_id"):
        hours = calendars.filter(pl.col("calendar_id") == calendar_id)
        zone = hours["timezone"][0]
        local = group.select(local=pl.col("opened_at").dt.convert_time_zone(zone)).with_columns(
            weekday=pl.col("local").dt.weekday().cast(pl.String), clock=pl.col("local").dt.strftime("%H:%M:%S")
        )
        inside += (
            local.join(hours, on="weekday")
            .filter((pl.col("clock") >= pl.col("start_time")) & (pl.col("clock") < pl.col("end_time")))
            .height
        )
    share = inside / tickets.height
    assert 0.8 <= share < 0.97  # 85% placed in hours + the in-hours part of the 15% placed at random


def test_every_service_used_exists_in_the_reference_services(demo) -> None:
    out, _ = demo
    reference = set(pl.read_csv(REFERENCE_DIR / "services.csv")["service"])
    used = {
        "tickets": set(read_table(out, "tickets")["service"]),
        "changes": set(read_table(out, "changes")["service"]),
        "outages": set(read_table(out, "outages")["service"]),
        "servicenow": set(pl.read_csv(out / "servicenow_incident_eventlog.csv", infer_schema=False)["u_service"]),
        "jira": set(pl.read_csv(out / "jira_export.csv", infer_schema=False)["Component/s"]),
    }
    for source, services in used.items():
        assert services <= reference, source
    # All 8 catalogue services get tickets; `unassigned` is only for exports that name no service.
    assert used["tickets"] == reference - {"unassigned"}


def test_changes_cover_every_type_close_code_and_approval_breach(demo) -> None:
    out, _ = demo
    changes = read_table(out, "changes")
    assert set(changes["change_type"]) == set(TABLES["changes"].column("change_type").allowed)
    assert set(changes["close_code"].drop_nulls()) == set(TABLES["changes"].column("close_code").allowed)
    started = changes.filter(pl.col("actual_start").is_not_null())
    assert started.filter(pl.col("approved_at").is_null()).height > 0  # implemented without approval
    assert started.filter(ts("approved_at") > ts("actual_start")).height > 0  # started before approval
    tickets = read_table(out, "tickets")
    caused = tickets.filter(pl.col("caused_by_change").is_not_null())
    assert caused.height > 0
    assert set(caused["caused_by_change"]) <= set(changes["change_id"])
    # A change can only cause an incident opened after the change started.
    linked = caused.join(changes, left_on="caused_by_change", right_on="change_id")
    assert linked.filter(ts("opened_at") < ts("actual_start")).height == 0


def test_unplanned_outages_overlap_on_the_same_service(demo) -> None:
    out, _ = demo
    unplanned = (
        read_table(out, "outages")
        .filter(pl.col("outage_type") == "unplanned")
        .with_columns(ts("started_at"), ts("ended_at"))
    )
    pairs = unplanned.join(unplanned, on="service", suffix="_b").filter(
        (pl.col("outage_id") < pl.col("outage_id_b"))
        & (pl.col("started_at_b") < pl.col("ended_at"))
        & (pl.col("started_at") < pl.col("ended_at_b"))
    )
    assert pairs.height > 0
    assert unplanned.filter(pl.col("ticket_id").is_not_null()).height > 0  # some outages name their incident


def test_maintenance_windows_overrun_and_contain_unplanned_outages(demo) -> None:
    out, _ = demo
    outages = read_table(out, "outages").with_columns(ts("started_at"), ts("ended_at"))
    changes = read_table(out, "changes").select("change_id", ts("planned_start"), ts("planned_end"))
    planned = outages.filter(pl.col("outage_type") == "planned").join(changes, on="change_id")
    assert planned.height == outages.filter(pl.col("outage_type") == "planned").height  # every window has its change
    assert planned.filter(pl.col("ended_at") > pl.col("planned_end")).height > 0  # overruns
    unplanned = outages.filter(pl.col("outage_type") == "unplanned")
    inside = unplanned.join(planned, on="service", suffix="_window").filter(
        (pl.col("started_at") >= pl.col("started_at_window"))
        & (pl.col("ended_at") <= pl.col("ended_at_window"))
        & (pl.col("started_at") >= pl.col("planned_start"))
        & (pl.col("ended_at") <= pl.col("planned_end"))
    )
    assert inside.height > 0
    degradations = outages.filter(pl.col("outage_type") == "degradation")
    assert degradations.height > 0
    assert degradations["impact_pct"].max() < 100


def test_surveys_answer_about_a_third_and_slow_tickets_score_lower(demo) -> None:
    out, _ = demo
    surveys = read_table(out, "surveys")
    answered = surveys.filter(pl.col("csat_score").is_not_null())
    assert 0.2 <= answered.height / surveys.height <= 0.4
    assert answered.filter(pl.col("nps_score").is_not_null()).height > 0
    assert answered.filter(pl.col("comment").is_not_null()).height > 0
    tickets = read_table(out, "tickets").select(
        "ticket_id", hours=(ts("resolved_at") - ts("opened_at")).dt.total_hours()
    )
    scored = answered.join(tickets, on="ticket_id").with_columns(pl.col("csat_score").cast(pl.Int64))
    slow = scored.filter(pl.col("hours") > scored["hours"].median())["csat_score"].mean()
    fast = scored.filter(pl.col("hours") <= scored["hours"].median())["csat_score"].mean()
    assert fast > slow


def test_servicenow_event_log_looks_like_the_audit_export(demo) -> None:
    out, _ = demo
    log = pl.read_csv(out / "servicenow_incident_eventlog.csv", infer_schema=False)
    assert log.columns[:6] == [
        "number",
        "incident_state",
        "active",
        "reassignment_count",
        "reopen_count",
        "sys_mod_count",
    ]
    assert log.null_count().sum_horizontal()[0] == 0  # empties are written as `?`
    assert (log["resolved_at"] == "?").sum() > 0
    assert set(log["incident_state"]) <= {
        "New",
        "Active",
        "Awaiting User Info",
        "Awaiting Vendor",
        "Resolved",
        "Closed",
    }
    assert log["number"].str.contains(r"^INC\d{7}$").all()
    assert log["sys_updated_at"].str.contains(r"^\d{1,2}/\d{1,2}/\d{4} \d{2}:\d{2}$").all()
    assert log["priority"].str.contains(r"^[1-4] - (Critical|High|Moderate|Low)$").all()
    per_incident = log.group_by("number").agg(
        rows=pl.len(), mods=pl.col("sys_mod_count").cast(pl.Int64), first_state=pl.col("incident_state").first()
    )
    assert per_incident["rows"].min() >= 2  # many snapshot rows per number
    assert all(mods == list(range(len(mods))) for mods in per_incident["mods"].to_list())
    assert set(per_incident["first_state"]) == {"New"}


def test_jira_export_uses_jira_vocabulary_and_its_date_format(demo) -> None:
    out, _ = demo
    jira = pl.read_csv(out / "jira_export.csv", infer_schema=False)
    assert jira.columns[:4] == ["Issue key", "Issue Type", "Status", "Priority"]
    assert jira["Issue key"].str.contains(r"^ITSM-\d+$").all()
    assert set(jira["Issue Type"]) == {"Incident", "Service Request"}
    assert set(jira["Status"]) <= {
        "Open",
        "In Progress",
        "Waiting for customer",
        "Pending",
        "Resolved",
        "Closed",
        "Canceled",
    }
    assert set(jira["Priority"]) <= {"Highest", "High", "Medium", "Low"}
    assert jira["Created"].str.contains(r"^\d{2}/[A-Z][a-z]{2}/\d{2} \d{1,2}:\d{2} [AP]M$").all()
    canonical = set(read_table(out, "tickets")["ticket_id"])
    assert not canonical & set(jira["Issue key"])


def test_cli_writes_the_demo_and_clean_removes_stale_exports(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    stale = tmp_path / "old_export.csv"
    stale.write_text("a,b\n1,2\n")
    keep = tmp_path / "notes.txt"
    keep.write_text("not an export")
    assert main(["demo-data", "--out", str(tmp_path), "--tickets", "300", "--seed", "7", "--clean"]) == 0
    printed = capsys.readouterr().out
    assert not stale.exists() and keep.exists()
    for name in DEMO_FILES:
        assert (tmp_path / name).is_file(), name
    assert "tickets.csv" in printed and "truncated_line" in printed
