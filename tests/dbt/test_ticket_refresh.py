"""The incremental refresh mechanism (dbt_project/macros/ticket_refresh.sql) is complete and stays out of the
business SQL: every model materialized per_ticket is in per_ticket_models() (the watermark waits for exactly
those), and no model outside models/intermediate/refresh/ handles refresh state itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

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
