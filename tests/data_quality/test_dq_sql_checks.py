"""Volume, freshness, load balance, quarantine and layer reconciliation on hand-built DuckDB tables."""

from __future__ import annotations

import pytest
from dq_rows import insert_raw, log_load, new_warehouse, ticket, ts

from data_quality.specs import Severity, Status
from data_quality.sql_checks import check_freshness, check_layers, check_load_balance, check_quarantine, check_volume
from data_quality.suites import FRESHNESS_CHECKS, LOAD_BALANCE, QUARANTINE, RECONCILIATIONS, VOLUME_CHECKS

VOLUME = {c.table: c for c in VOLUME_CHECKS}
FRESHNESS = {c.relation: c for c in FRESHNESS_CHECKS}
LAYERS = {c.name: c for c in RECONCILIATIONS}


@pytest.fixture
def conn():
    connection = new_warehouse()
    yield connection
    connection.close()


def _loads(conn, sizes: list[int]) -> None:
    """One load per size, load ids 1..n, each writing that many surveys."""
    for load_id, size in enumerate(sizes, start=1):
        rows = [{"survey_id": f"S{load_id}-{i}", "sent_at": ts("2025-01-01 00:00")} for i in range(size)]
        insert_raw(conn, "surveys", rows, load_id=load_id)
        log_load(conn, load_id, size, size, 0)


def test_latest_load_far_below_trailing_loads_fails(conn):
    _loads(conn, [100, 110, 90, 105, 20])
    r = check_volume(conn, VOLUME["surveys"])
    # median of 100, 110, 90, 105 = (100 + 105) / 2 = 102.5; band [51.25, 205]; 20 is below
    assert (r.status, r.observed_value, r.failing_keys_sample) == (Status.FAILED, 20.0, ["load 5"])
    assert "band [51.25, 205]" in r.details
    assert r.severity is Severity.WARNING


def test_latest_load_within_band_passes(conn):
    _loads(conn, [100, 110, 90, 105, 200])  # 200 <= 205
    assert check_volume(conn, VOLUME["surveys"]).status is Status.PASSED


def test_volume_without_history_is_not_applicable(conn):
    _loads(conn, [100, 5])  # only one earlier load; three are needed
    r = check_volume(conn, VOLUME["surveys"])
    assert r.status is Status.NOT_APPLICABLE and r.passed is None


def test_freshness_uses_the_given_reference_time(conn):
    insert_raw(conn, "tickets", [ticket("INC1", opened_at=ts("2025-01-05 00:00")), ticket("INC2")])
    spec = FRESHNESS["raw.tickets"]  # newest opened_at = INC2's 2025-01-06 09:00; limit 48 h
    fresh = check_freshness(conn, spec, as_of=ts("2025-01-08 08:00"))
    stale = check_freshness(conn, spec, as_of=ts("2025-01-08 10:00"))
    assert (fresh.status, fresh.observed_value) == (Status.PASSED, 47.0)  # 2025-01-06 09:00 -> 01-08 08:00 = 47 h
    assert (stale.status, stale.observed_value) == (Status.FAILED, 49.0)  # -> 01-08 10:00 = 49 h


def _export(conn, load_id: int, exported_at: str) -> None:
    log_load(conn, load_id, 1, 1, 0)
    conn.execute("update raw.load_log set exported_at = ? where load_id = ?", [ts(exported_at), load_id])


def test_freshness_is_measured_at_the_export_instant_not_the_wall_clock(conn):
    insert_raw(conn, "tickets", [ticket("INC1", opened_at=ts("2025-01-05 00:00")), ticket("INC2")])
    _export(conn, 1, "2025-01-07 08:00")
    _export(conn, 2, "2025-01-08 08:00")  # the latest loaded export
    spec = FRESHNESS["raw.tickets"]  # newest opened_at = INC2's 2025-01-06 09:00; limit 48 h
    r = check_freshness(conn, spec, as_of=ts("2026-12-06 00:00"))  # the calendar moved on; the data did not
    assert (r.status, r.observed_value) == (Status.PASSED, 47.0)  # 2025-01-06 09:00 -> 01-08 08:00 = 47 h
    assert "at the export instant 2025-01-08T08:00:00+00:00" in r.details


def test_a_timestamp_after_the_export_instant_fails_freshness_with_its_reason(conn):
    insert_raw(conn, "tickets", [ticket("INC1", opened_at=ts("2025-01-06 12:00"))])
    _export(conn, 1, "2025-01-06 09:00")
    r = check_freshness(conn, FRESHNESS["raw.tickets"], as_of=ts("2026-12-06 00:00"))
    # 12:00 is 3 h after the 09:00 export: never a negative age that passes
    assert (r.status, r.observed_value, r.severity) == (Status.FAILED, -3.0, Severity.WARNING)
    assert "3.0 h after the export instant" in r.details and "from the future" in r.details


def test_load_that_lost_rows_fails_the_balance(conn):
    log_load(conn, 1, 10, 8, 2)
    log_load(conn, 2, 10, 7, 2)  # one row neither loaded nor quarantined
    log_load(conn, 3, 5, 5, 0)
    r = check_load_balance(conn, LOAD_BALANCE)
    assert (r.status, r.failing_row_count) == (Status.FAILED, 1)
    assert r.failing_keys_sample == ["load 2 (/inbox/file_2.csv): read 10 != 7 + 2"]
    assert r.blocks


def test_balanced_loads_pass(conn):
    log_load(conn, 1, 10, 8, 2)
    assert check_load_balance(conn, LOAD_BALANCE).status is Status.PASSED


def test_quarantined_rows_are_shown_with_file_line_and_reason(conn):
    conn.execute(
        """insert into raw.quarantine values
           ('/inbox/t.csv', 'sha', 1, 'tickets', 5, 'x', 'unknown priority 9', '2025-01-10'),
           ('/inbox/t.csv', 'sha', 1, 'tickets', 8, 'y', 'missing required ticket_id', '2025-01-10')"""
    )
    r = check_quarantine(conn, QUARANTINE)
    assert (r.status, r.failing_row_count) == (Status.FAILED, 2)
    assert r.failing_keys_sample == ["t.csv:5 unknown priority 9", "t.csv:8 missing required ticket_id"]
    assert not r.blocks  # a warning: quarantined rows are accounted for, just not in the numbers


def _stg_and_mart(conn, staging: list[tuple[str, str]], mart: list[tuple[str, str]]) -> None:
    conn.execute("create schema staging")
    conn.execute("create table staging.stg_raw__tickets (ticket_id varchar, ticket_type varchar)")
    conn.executemany("insert into staging.stg_raw__tickets values (?, ?)", staging)
    conn.execute("create schema marts")
    conn.execute("create table marts.fct_incident (ticket_id varchar, ticket_type varchar)")
    conn.executemany("insert into marts.fct_incident values (?, ?)", mart)


def test_fct_incident_not_built_is_recorded_not_applicable(conn):
    conn.execute("create schema staging")
    conn.execute("create table staging.stg_raw__tickets (ticket_id varchar, ticket_type varchar)")
    r = check_layers(conn, LAYERS["staging_to_fct_incident__tickets"])
    assert r.status is Status.NOT_APPLICABLE and r.passed is None
    assert "marts.fct_incident does not exist" in r.details


def test_every_incident_reaches_fct_incident(conn):
    staging = [("INC1", "incident"), ("INC2", "incident"), ("REQ1", "request")]
    _stg_and_mart(conn, staging, [("INC1", "incident"), ("INC2", "incident")])
    r = check_layers(conn, LAYERS["staging_to_fct_incident__tickets"])
    # requests are outside the documented filter, so 2 incidents in staging = 2 in the mart
    assert (r.status, r.failing_row_count, r.observed_value) == (Status.PASSED, 0, 2.0)


def test_lost_phantom_and_duplicated_incidents_fail(conn):
    staging = [("INC1", "incident"), ("INC2", "incident"), ("INC3", "incident"), ("REQ1", "request")]
    mart = [("INC1", "incident"), ("INC1", "incident"), ("INC3", "incident"), ("INC9", "incident")]
    _stg_and_mart(conn, staging, mart)
    r = check_layers(conn, LAYERS["staging_to_fct_incident__tickets"])
    # INC2 missing, INC9 from nowhere, INC1 twice -> 3 failing keys; 3 staging incidents vs 3 distinct in 4 rows
    assert (r.status, r.failing_row_count) == (Status.FAILED, 3)
    assert r.failing_keys_sample == ["missing:INC2", "phantom:INC9", "duplicated:INC1"]
    assert "marts.fct_incident: 3 distinct in 4 rows" in r.details


def test_a_lost_key_balanced_by_a_phantom_one_still_fails(conn):
    # the totals agree (2 staging incidents, 2 distinct in 2 mart rows): only the keys themselves differ
    _stg_and_mart(conn, [("INC1", "incident"), ("INC2", "incident")], [("INC1", "incident"), ("INC9", "incident")])
    r = check_layers(conn, LAYERS["staging_to_fct_incident__tickets"])
    assert (r.status, r.failing_row_count, r.failing_keys_sample) == (
        Status.FAILED,
        2,
        ["missing:INC2", "phantom:INC9"],
    )


def test_raw_ticket_lost_before_staging_fails(conn):
    insert_raw(conn, "tickets", [ticket("INC1"), ticket("INC2")])
    conn.execute("create schema staging")
    conn.execute("create table staging.stg_raw__tickets as select 'INC1' as ticket_id")
    r = check_layers(conn, LAYERS["raw_to_staging__tickets"])
    assert (r.status, r.failing_keys_sample) == (Status.FAILED, ["missing:INC2"])


# The reconciliation as it was computed before its one-grouping form (one grouping per side and a full join): the
# reference the current query must equal, including NULL keys, NULL filter values and keys outside the filter.
JOIN_REFERENCE = """
    with src as (select k, bool_or(kind = 'incident') as kept from src_rows group by all),
         tgt as (select k, count(*) as n from tgt_rows {target_where} group by all),
         joined as (select src.k as src_k, coalesce(src.kept, false) as kept, tgt.k as tgt_k, tgt.n
                    from src full join tgt on src.k = tgt.k)
    select count(*) filter (where kept and src_k is not null and tgt_k is null),
           count(*) filter (where tgt_k is not null and src_k is null), count(*) filter (where n > 1),
           count(*) filter (where kept), count(*) filter (where tgt_k is not null), coalesce(sum(n), 0),
           list_slice(list(src_k order by src_k) filter (where kept and src_k is not null and tgt_k is null), 1, 10),
           list_slice(list(tgt_k order by tgt_k) filter (where tgt_k is not null and src_k is null), 1, 10),
           list_slice(list(tgt_k order by tgt_k) filter (where n > 1), 1, 10)
    from joined
"""


@pytest.mark.parametrize("target_where", ["", "where kind = 'incident'"])
def test_one_grouping_reconciliation_equals_the_join_form(conn, target_where: str):
    from data_quality.sql_checks import reconciliation_sql

    # source: A, B kept; C only outside the filter; D with a NULL kind; two NULL keys (one kept)
    conn.execute(
        """create table src_rows as select * from (values ('A', 'incident'), ('A', 'request'), ('B', 'incident'),
               ('C', 'request'), ('D', null), (null, 'incident'), (null, 'request')) t(k, kind)"""
    )
    # target: A twice, C (explained by a source row outside the filter), X from nowhere, three NULL keys, a request
    conn.execute(
        """create table tgt_rows as select * from (values ('A', 'incident'), ('A', 'incident'), ('C', 'incident'),
               ('X', 'incident'), (null, 'incident'), (null, 'incident'), (null, 'request'), ('Y', 'request'))
               t(k, kind)"""
    )
    ours = conn.execute(reconciliation_sql("src_rows", "tgt_rows", "k", "kind = 'incident'", target_where)).fetchall()
    assert ours == conn.execute(JOIN_REFERENCE.format(target_where=target_where)).fetchall()
    missing, phantom, duplicated, kept = ours[0][:4]
    # B is kept and absent from the target; X (and Y when the target is not filtered) come from nowhere;
    # A twice and the NULL key more than once are duplicated; A, B and the kept NULL key are kept
    assert (missing, kept, ours[0][6]) == (1, 3, ["B"])
    assert (phantom, ours[0][7]) == ((1, ["X"]) if target_where else (2, ["X", "Y"]))
    assert (duplicated, ours[0][8]) == (2, ["A", None])


def test_staging_to_incidents_names_missing_phantom_and_duplicated_keys(conn):
    staging = [("INC1", "incident"), ("INC2", "incident"), ("INC3", "incident"), ("REQ1", "request")]
    _stg_and_mart(conn, staging, [("INC1", "incident"), ("INC1", "incident"), ("INC9", "incident")])
    result = check_layers(conn, LAYERS["staging_to_fct_incident__tickets"])
    # INC2 and INC3 missing, INC9 from nowhere, INC1 twice; REQ1 is outside the documented filter
    assert (result.failing_row_count, result.failing_keys_sample) == (
        4,
        ["missing:INC2", "missing:INC3", "phantom:INC9", "duplicated:INC1"],
    )
