"""Raw checks judge what is current: a bad row corrected by a re-export stops failing, and publishing resumes.

End to end through the real runner (data_quality.runner.run_all: GX, DuckDB, the per-load state), the results
history and the publishing gate, on a warehouse file. Acknowledgements: `itsm dq acknowledge` as a user runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from dq_rows import by_name, insert_raw, new_warehouse, ticket, ts

from data_quality.acknowledgements import AcknowledgeError, acknowledge
from data_quality.results import new_run_id, write_results
from data_quality.run_steps import STEPS, publish_problem, record_step
from data_quality.runner import run_all

AS_OF = datetime(2025, 1, 7, tzinfo=UTC)
ORDER = "raw_outages__started_at_before_ended_at"
RESOLVED = "raw_tickets__opened_at_before_resolved_at"
ITSM = Path(sys.executable).with_name("itsm")


def outage(outage_id: str, **values: object) -> dict:
    """An unplanned outage of email, 09:00-10:00 on 2025-01-06, unless overridden."""
    return {
        "outage_id": outage_id,
        "service": "email",
        "started_at": ts("2025-01-06 09:00"),
        "ended_at": ts("2025-01-06 10:00"),
        "outage_type": "unplanned",
    } | values


def check_run(conn: duckdb.DuckDBPyConnection) -> dict:
    """One complete check run as the pipeline records it: results, then both steps finished."""
    results = run_all(conn, as_of=AS_OF)
    run_id = new_run_id()
    write_results(conn, run_id, results)
    for step in STEPS:
        record_step(conn, run_id, step, len(results))
    return by_name(results)


@pytest.fixture
def conn(tmp_path: Path):
    connection = new_warehouse(tmp_path / "itsm.duckdb")
    yield connection
    connection.close()


def test_corrected_re_export_clears_the_blocking_failure_and_publishing_resumes(conn):
    # load 1: OUT1 ends an hour before it starts, INC1 is resolved an hour before it opened
    insert_raw(conn, "outages", [outage("OUT1", ended_at=ts("2025-01-06 08:00")), outage("OUT2")], load_id=1)
    insert_raw(conn, "tickets", [ticket("INC1", resolved_at=ts("2025-01-06 08:00"))], load_id=1)
    first = check_run(conn)
    assert (first[ORDER].status, first[ORDER].failing_keys_sample) == ("failed", ["OUT1|1"])
    assert (first[RESOLVED].status, first[RESOLVED].failing_keys_sample) == ("failed", ["INC1|1"])
    assert "failed 2 blocking check(s)" in publish_problem(conn)
    # the source corrects both records and they are exported again (load 2)
    insert_raw(conn, "outages", [outage("OUT1")], load_id=2)
    insert_raw(conn, "tickets", [ticket("INC1")], load_id=2)
    second = check_run(conn)
    assert (second[ORDER].status, second[ORDER].failing_row_count) == ("passed", 0)
    assert (second[RESOLVED].status, second[RESOLVED].failing_row_count) == ("passed", 0)
    assert publish_problem(conn) is None  # the next run publishes again
    # the superseded rows stay in raw as history
    assert conn.execute("select count(*) from raw.outages where outage_id = 'OUT1'").fetchone()[0] == 2
    assert conn.execute("select count(*) from raw.tickets where ticket_id = 'INC1'").fetchone()[0] == 2
    # a third export that breaks OUT1 again fails again: only the current version is judged, every time
    insert_raw(conn, "outages", [outage("OUT1", ended_at=ts("2025-01-06 07:00"))], load_id=3)
    third = check_run(conn)
    assert (third[ORDER].status, third[ORDER].failing_keys_sample) == ("failed", ["OUT1|3"])


def test_acknowledged_key_no_longer_fails_and_is_counted(conn):
    insert_raw(conn, "outages", [outage("OUT1", ended_at=ts("2025-01-06 08:00")), outage("OUT2")], load_id=1)
    assert check_run(conn)[ORDER].status == "failed"
    ack = acknowledge(conn, ORDER, "OUT1|1", "source system lost the real end time; confirmed by ops", by="auditor")
    assert (ack.acknowledged_by, ack.key) == ("auditor", "OUT1|1")
    result = check_run(conn)[ORDER]
    assert (result.status, result.failing_row_count, result.failing_keys_sample) == ("passed", 0, [])
    assert "0 of 1 rows unexpected" in result.details  # OUT1's row left out: OUT2 alone is judged
    assert "1 acknowledged key(s) not judged" in result.details
    assert publish_problem(conn) is None
    # the acknowledgement covers that version only: a new bad export of OUT1 is judged again
    insert_raw(conn, "outages", [outage("OUT1", ended_at=ts("2025-01-06 07:00"))], load_id=2)
    assert check_run(conn)[ORDER].failing_keys_sample == ["OUT1|2"]


def test_acknowledging_the_key_without_its_load_covers_every_version(conn):
    insert_raw(conn, "outages", [outage("OUT1", ended_at=ts("2025-01-06 08:00"))], load_id=1)
    acknowledge(conn, ORDER, "OUT1", "cannot be corrected at the source", by="auditor")
    insert_raw(conn, "outages", [outage("OUT1", ended_at=ts("2025-01-06 07:00"))], load_id=2)
    assert check_run(conn)[ORDER].status == "passed"


def test_acknowledgement_is_refused_for_aggregate_checks_unknown_checks_and_empty_reasons(conn):
    with pytest.raises(AcknowledgeError, match="not a row rule"):
        acknowledge(conn, "raw_to_staging__outages", "OUT1", "why")
    with pytest.raises(AcknowledgeError, match="unknown check"):
        acknowledge(conn, "no_such_check", "OUT1", "why")
    with pytest.raises(AcknowledgeError, match="reason"):
        acknowledge(conn, ORDER, "OUT1", "  ")


def test_itsm_dq_acknowledge_appends_who_and_why(tmp_path: Path):
    path = tmp_path / "itsm.duckdb"
    new_warehouse(path).close()
    env = {**os.environ, "ITSM_WAREHOUSE": str(path)}
    args = [str(ITSM), "dq", "acknowledge", ORDER, "OUT1|1", "--reason", "lost end time"]
    first = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    second = subprocess.run([*args, "--by", "j.doe"], env=env, capture_output=True, text=True, check=False)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert "acknowledged raw_outages__started_at_before_ended_at for key OUT1|1" in first.stdout
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute(
            "select check_name, key, reason, acknowledged_by from dq.acknowledgements order by acknowledged_at"
        ).fetchall()
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    # append-only: both kept, the first by the OS user, the second by --by
    assert rows == [(ORDER, "OUT1|1", "lost end time", user), (ORDER, "OUT1|1", "lost end time", "j.doe")]
    refused = subprocess.run(
        [str(ITSM), "dq", "acknowledge", "raw_outages__freshness", "OUT1", "--reason", "x"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1 and "not a row rule" in refused.stderr and "Traceback" not in refused.stderr
    listed = subprocess.run([str(ITSM), "dq", "acknowledgements"], env=env, capture_output=True, text=True, check=True)
    assert "j.doe" in listed.stdout and json.dumps(ORDER)[1:-1] in listed.stdout
