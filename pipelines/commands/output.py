"""How `itsm` prints: rich tables on a terminal, the same tables as plain aligned text when piped.

On a terminal a table fits the window (long cells wrap inside their column instead of running off the edge). When
stdout is a file or a pipe (cron, CI, tests) nothing is coloured and nothing wraps: one table row is one line, with
columns separated by spaces and a dashed line under the header, so `grep` and `split()` keep working.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Literal

from rich.box import Box
from rich.console import Console
from rich.table import Table

# Wide enough that no table row is ever wrapped in plain output.
PLAIN_WIDTH = 100_000


def _rule_box(char: str) -> Box:
    # Lines: top, head, head row (under the header), mid, row (between sections), foot row, foot, bottom.
    blank, rule = "    \n", f" {char}{char} \n"
    return Box(blank * 2 + rule + blank + rule + blank * 3, ascii=char.isascii())


TERMINAL_BOX = _rule_box("─")
PLAIN_BOX = _rule_box("-")


def is_terminal(file: IO[str] | None = None) -> bool:
    stream = file or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def console(file: IO[str] | None = None, stderr: bool = False) -> Console:
    """A console on the current sys.stdout (or stderr): made per call, so redirected streams are honoured."""
    stream = file or (sys.stderr if stderr else sys.stdout)
    if is_terminal(stream):
        return Console(file=stream, markup=False, highlight=False)
    return Console(file=stream, width=PLAIN_WIDTH, markup=False, highlight=False, no_color=True, soft_wrap=True)


@dataclass(frozen=True)
class Column:
    header: str
    justify: Literal["left", "right"] = "left"


def make_table(columns: Sequence[Column], title: str | None = None, terminal: bool | None = None) -> Table:
    terminal = is_terminal() if terminal is None else terminal
    table = Table(
        box=TERMINAL_BOX if terminal else PLAIN_BOX,
        show_edge=False,
        pad_edge=False,
        title=title,
        title_justify="left",
        header_style="bold" if terminal else "",
        title_style="bold" if terminal else "",
    )
    for column in columns:
        # On a terminal too narrow for the table, cells wrap at spaces (long words fold) instead of being cut.
        table.add_column(column.header, justify=column.justify, overflow="fold")
    return table


def print_table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    title: str | None = None,
    total: Sequence[object] | None = None,
    file: IO[str] | None = None,
) -> None:
    """Print rows under the headers; a `total` row goes last, below a rule."""
    out = console(file)
    table = make_table(columns, title, terminal=out.is_terminal)
    rows = list(rows)
    for n, row in enumerate(rows):
        table.add_row(*(_cell(v) for v in row), end_section=total is not None and n == len(rows) - 1)
    if total is not None:
        table.add_row(*(_cell(v) for v in total))
    if out.is_terminal:
        out.print(table)
        return
    with out.capture() as captured:
        out.print(table)
    # rich pads every cell to its column's width; piped lines end at their last character
    out.file.write("\n".join(line.rstrip() for line in captured.get().splitlines()) + "\n")
    out.file.flush()


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def print_lines(lines: Iterable[str], file: IO[str] | None = None) -> None:
    """Plain lines through the same console (no markup: brackets and paths print as they are)."""
    out = console(file)
    for line in lines:
        out.print(line, soft_wrap=True)
