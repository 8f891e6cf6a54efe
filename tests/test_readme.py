"""The README's analyst queries run on a real demo warehouse: documentation that cannot drift from the marts."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pipelines.settings import PROJECT_ROOT

SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def readme_queries() -> list[str]:
    return SQL_BLOCK.findall((PROJECT_ROOT / "README.md").read_text())


def test_readme_has_three_analyst_queries():
    assert len(readme_queries()) >= 3


def test_readme_queries_run_on_the_demo_warehouse(demo_warehouse: Path):
    with duckdb.connect(str(demo_warehouse), read_only=True) as conn:
        results = [conn.sql(query).fetchall() for query in readme_queries()]
    # The demo has breaches (the seeded P1 incidents cannot all make 4 h), so the explain query shows intervals.
    breach_trace = results[1]
    assert breach_trace, "the breached ticket's SLA trace is empty"
    assert {row[1] for row in breach_trace} <= {"response", "resolution"}
