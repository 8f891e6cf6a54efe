"""The shape of an extract kind: which relations it needs, how to tell a period has data, and its datasets."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipelines.extracts.request import ExtractRequest


@dataclass(frozen=True)
class Dataset:
    """One output table, written as `<name>.csv` and `<name>.parquet`.

    `sql` must list its key columns first: rows are ordered by every column left to right (ORDER BY ALL), so
    the order is total and the files are byte-identical on every run over the same data.
    """

    name: str
    sql: str
    description: str = ""


@dataclass(frozen=True)
class ExtractKind:
    name: str
    description: str
    # Relations ("schema.table") that must exist; missing ones give a clear message naming them.
    requires: tuple[str, ...]
    # SQL returning one integer: how many source records fall in the period. Zero means "no data for this
    # period" and the extract is refused. Distinct from an extract with zero rows (no breaches is evidence too).
    coverage_sql: str
    datasets: Callable[[ExtractRequest], list[Dataset]]


_PARAM = re.compile(r"\$([a-z_]+)")


def bind(sql: str, params: dict[str, object]) -> dict[str, object]:
    """Only the named parameters the statement uses (DuckDB rejects unused ones)."""
    return {name: params[name] for name in dict.fromkeys(_PARAM.findall(sql))}
