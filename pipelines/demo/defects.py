"""Seeded defects: a few realistic faults planted in the demo exports so the demo shows quarantine at work.

Each defect is recorded with its file, 1-based data record number (header excluded, as `_row_number` counts) and
physical line number (header = line 1), so tests and the README can name exactly which rows must be rejected.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Defect:
    kind: str  # bad_date | duplicate_row | missing_required | unknown_priority | truncated_line
    file: str
    table: str
    key: str  # natural key of the damaged row
    column: str | None
    value: str | None  # what the file now holds in that column
    row_number: int  # 1-based data record (a duplicate names the second copy)
    line_number: int  # physical line, header = 1
    description: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _pick_rows(rng: np.random.Generator, candidates: np.ndarray, count: int) -> list[int]:
    """Distinct rows from the middle half, so no defect sits next to the file edges by accident."""
    lo, hi = len(candidates) // 4, max(len(candidates) * 3 // 4, len(candidates) // 4 + count)
    return sorted(int(i) for i in rng.choice(candidates[lo:hi], size=count, replace=False))


def _set(frame: pl.DataFrame, row: int, column: str, value: str | None) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit(value, dtype=pl.String))
        .otherwise(pl.col(column))
        .alias(column)
    )


def damage_tickets(rng: np.random.Generator, tickets: pl.DataFrame, file: str) -> tuple[pl.DataFrame, list[Defect]]:
    """`tickets` is all-string (as written). Bad date, unknown priority, exact duplicate row."""
    closed = np.flatnonzero(tickets["state"].to_numpy() == "closed")
    bad_date, bad_priority, duplicated = _pick_rows(rng, closed, 3)
    ids = tickets["ticket_id"]
    planted = [
        ("bad_date", ids[bad_date], "opened_at", "2026-02-30T09:15:00Z", "opened_at is 30 February (no such date)"),
        ("unknown_priority", ids[bad_priority], "priority", "7", "priority 7 is outside the allowed 1-4"),
    ]
    for _, key, column, value, _ in planted:
        tickets = _set(tickets, int(np.flatnonzero(ids.to_numpy() == key)[0]), column, value)
    tickets = pl.concat([tickets[: duplicated + 1], tickets[duplicated : duplicated + 1], tickets[duplicated + 1 :]])

    final_ids = tickets["ticket_id"].to_numpy()
    defects = [
        Defect(kind, file, "tickets", key, column, value, int(row) + 1, int(row) + 2, text)
        for kind, key, column, value, text in planted
        for row in [np.flatnonzero(final_ids == key)[0]]
    ]
    second = int(np.flatnonzero(final_ids == ids[duplicated])[1])
    defects.append(
        Defect(
            "duplicate_row",
            file,
            "tickets",
            ids[duplicated],
            None,
            None,
            second + 1,
            second + 2,
            f"exact copy of data record {second} (the export repeated a row)",
        )
    )
    return tickets, sorted(defects, key=lambda d: d.row_number)


def damage_changes(rng: np.random.Generator, changes: pl.DataFrame, file: str) -> tuple[pl.DataFrame, list[Defect]]:
    """`changes` is all-string. One row loses its required change_type."""
    (row,) = _pick_rows(rng, np.flatnonzero(changes["state"].to_numpy() == "closed"), 1)
    key = changes["change_id"][row]
    return _set(changes, row, "change_type", None), [
        Defect(
            "missing_required",
            file,
            "changes",
            key,
            "change_type",
            None,
            row + 1,
            row + 2,
            "required change_type is empty",
        )
    ]


def truncate_last_line(text: str, key: str, file: str, table: str) -> tuple[str, Defect]:
    """The export was cut off: the file ends in the middle of its last row, with no newline."""
    lines = text.rstrip("\n").split("\n")
    last = lines[-1]
    lines[-1] = last[: max(len(last) // 2, 1)]
    defect = Defect(
        "truncated_line",
        file,
        table,
        key,
        None,
        lines[-1],
        len(lines) - 1,
        len(lines),
        "file ends mid-row (export cut off): the last record has too few fields",
    )
    return "\n".join(lines), defect
