"""The incremental refresh mechanism (dbt_project/macros/ticket_refresh.sql) is complete and stays out of the
business SQL: every model materialized per_ticket is in per_ticket_models() (the watermark waits for exactly
those), and no model outside models/intermediate/refresh/ handles refresh state itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
from kpi_raw_rows import dbt_build_output, insert_rows, new_warehouse, query

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
REFRESH_MACROS = DBT_PROJECT / "macros" / "ticket_refresh.sql"


def listed_models() -> set[str]:
    text = REFRESH_MACROS.read_text()
    body = text[text.index("{% macro per_ticket_models()") :]
    body = body[: body.index("{%- endmacro %}")]
    return set(re.findall(r"'([a-z_]+)'", body))


def test_every_per_ticket_model_is_listed(tmp_path: Path, dbt: Callable[..., str], empty_warehouse: Path) -> None:
    output = dbt(
        ["ls", "--resource-type", "model", "--select", "config.materialized:per_ticket", "--output", "name", "-q"],
        empty_warehouse,
        tmp_path,
    )
    configured = {line.strip() for line in output.splitlines() if line.strip()}
    assert configured, "no model is materialized per_ticket"
    assert configured == listed_models()


def test_business_models_read_through_the_one_macro() -> None:
    """Refresh state (previous builds, the refresh set, is_incremental) is read only by the refresh models."""
    refresh_words = re.compile(r"previous_build_of|is_incremental\(\)|int_tickets_to_refresh|int_ticket_refresh_")
    offenders = [
        str(path.relative_to(DBT_PROJECT))
        for path in (DBT_PROJECT / "models").rglob("*.sql")
        if "refresh" not in path.parent.name and refresh_words.search(path.read_text())
    ]
    assert offenders == []


def _ticket(ticket_id: str, resolved: str | None) -> dict:
    return {
        "ticket_id": ticket_id,
        "ticket_type": "incident",
        "opened_at": "2026-01-05T10:00Z",
        "resolved_at": resolved,
        "state": "resolved" if resolved else "in_progress",
        "priority": 3,
        "service": "email",
    }


def test_a_table_whose_columns_changed_stops_the_incremental_run(tmp_path: Path) -> None:
    """The materialization never guesses how to append rows to a table of another shape: the run stops, naming the
    table and `itsm run --full-refresh`, which then rebuilds it."""
    warehouse = new_warehouse(tmp_path / "itsm.duckdb")
    select = ["build", "--select", "+int_ticket_refresh_watermark", "--exclude", "resource_type:test"]
    select += ["--vars", '{"as_of": "2026-01-09 17:00:00+00"}']
    insert_rows(warehouse, "tickets", [_ticket("A", None)])
    assert dbt_build_output(select, warehouse, tmp_path)[0] == 0
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("alter table intermediate.int_ticket_events add column left_by_an_old_version integer")
    insert_rows(warehouse, "tickets", [_ticket("A", "2026-01-06T12:00Z")], load_id=2)
    code, output = dbt_build_output(select, warehouse, tmp_path)
    assert code != 0
    assert "int_ticket_events: its columns changed" in output and "itsm run --full-refresh" in output
    code, output = dbt_build_output([*select, "--full-refresh"], warehouse, tmp_path)
    assert code == 0, output[-3000:]
    [row] = query(warehouse, "select resolved_at is not null as resolved from staging.stg_raw__tickets")
    assert row["resolved"]
