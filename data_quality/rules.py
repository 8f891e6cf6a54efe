"""Validate row rules on the rows of a relation a WHERE selects: each rule by its engine, acknowledged keys left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import duckdb

from data_quality.acknowledgements import key_filter
from data_quality.frames import load_frame
from data_quality.gx_engine import Outcome, validate_outcomes
from data_quality.specs import RowExpectation, TableSuite
from data_quality.sql_rows import Rows, reference_outcome, unique_outcome


def validate_rows(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    exps: Sequence[RowExpectation],
    references: dict[str, list[object]],
    where: str = "true",
    acknowledged: dict[str, list[str]] | None = None,
    source: str | None = None,
) -> dict[str, Outcome]:
    """The outcome of each of `exps` on the rows `where` selects, without the rows of the rule's acknowledged keys
    (acknowledgements.py): GX for the great_expectations rules (one frame per set of acknowledged keys), DuckDB for
    the sql rules. The rows are read from `source` when given (a snapshot of the relation)."""
    acknowledged = acknowledged or {}
    by_keys: dict[tuple[str, ...], list[RowExpectation]] = {}
    for exp in exps:
        by_keys.setdefault(tuple(acknowledged.get(exp.name, ())), []).append(exp)
    outcomes: dict[str, Outcome] = {}
    for keys, group in by_keys.items():
        condition, params = key_filter(suite, list(keys)) if keys else ("false", [])
        selected = f"({where}) and not {condition}"
        for exp in (e for e in group if e.engine == "sql"):  # the sql engine counts unique and in_reference rules
            count = unique_outcome if exp.kind == "unique" else reference_outcome
            outcomes[exp.name] = count(conn, suite, exp, Rows(selected, params, source))
        with_gx = tuple(e for e in group if e.engine == "great_expectations")
        if with_gx:
            narrowed = replace(suite, expectations=with_gx)
            outcomes |= validate_outcomes(narrowed, load_frame(conn, narrowed, selected, params, source), references)
    return outcomes
