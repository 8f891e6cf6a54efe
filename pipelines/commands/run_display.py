"""What `itsm run` shows while the Dagster job runs: one line per step, from the run's own event stream.

Quiet (the default): everything the job and its libraries write (Dagster's log, dbt's output, warnings, progress
bars of other tools) goes to a log file, and the terminal gets one line per finished step, with a live progress bar
for the running step on a terminal. Verbose (`-v`): the full Dagster log on the terminal, as before.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

# Dagster event type values (DagsterEventType.*.value), compared as strings so this module imports no Dagster.
PLANNED = {"ASSET_MATERIALIZATION_PLANNED", "ASSET_CHECK_EVALUATION_PLANNED"}
MATERIALIZED = "ASSET_MATERIALIZATION"
CHECKED = "ASSET_CHECK_EVALUATION"
STEP_START = "STEP_START"
STEP_END = {"STEP_SUCCESS": "ok", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}
RUN_FAILURE = "PIPELINE_FAILURE"


@contextmanager
def output_to_file(log_path: Path) -> Iterator[IO[str]]:
    """Send whatever this process and its children write to stdout and stderr into `log_path` (appended), at the
    file-descriptor level so dbt's subprocess output and C-level writes go there too; yield a stream on the real
    stdout for the lines meant for the user."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    screen = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8", errors="replace")
    try:
        with open(log_path, "ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                yield screen
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    finally:
        os.close(saved[0])
        os.close(saved[1])
        screen.close()


def _innermost_message(error: Any) -> str:
    """The root cause of a Dagster SerializableErrorInfo: the part a user can act on."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    message = (getattr(error, "message", None) or str(error)).strip()
    return "\n".join(message.splitlines()[:6])


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


class StepDisplay:
    """A Dagster event listener (DagsterInstance.add_event_listener) printing one line per finished step."""

    def __init__(self, out: Console) -> None:
        self.out = out
        self.progress: Progress | None = None
        if out.is_terminal:
            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description:<28}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=out,
                transient=True,
                # the run's own writes stay in the log file; Live would otherwise route sys.stdout/stderr to the screen
                redirect_stdout=False,
                redirect_stderr=False,
            )
        self.planned: Counter[str] = Counter()
        self.materialized: Counter[str] = Counter()
        self.checked: Counter[str] = Counter()
        self.checks_failed: Counter[str] = Counter()
        self.started: dict[str, float] = {}
        self.tasks: dict[str, TaskID] = {}
        self.failures: list[str] = []  # step or run failure messages, for the summary

    def __enter__(self) -> StepDisplay:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    @contextmanager
    def phase(self, description: str) -> Iterator[None]:
        """A spinner while something without events runs (loading the definitions)."""
        task = self.progress.add_task(description, total=None) if self.progress else None
        try:
            yield
        finally:
            if self.progress is not None and task is not None:
                self.progress.remove_task(task)

    def __call__(self, entry: Any) -> None:
        event = entry.dagster_event
        if event is None:
            return
        kind, step = event.event_type_value, event.step_key
        if kind in PLANNED:
            self.planned[step] += 1
        elif kind == STEP_START:
            self.started[step] = entry.timestamp
            if self.progress is not None:
                self.tasks[step] = self.progress.add_task(step, total=self.planned[step] or None)
        elif kind in (MATERIALIZED, CHECKED):
            counter = self.materialized if kind == MATERIALIZED else self.checked
            counter[step] += 1
            if kind == CHECKED and not event.event_specific_data.passed:
                self.checks_failed[step] += 1
            if self.progress is not None and step in self.tasks:
                self.progress.advance(self.tasks[step])
        elif kind in STEP_END:
            self._finish(step, STEP_END[kind], entry.timestamp, event)
        elif kind == RUN_FAILURE and event.message:
            self.failures.append(event.message.strip())

    def _finish(self, step: str, status: str, at: float, event: Any) -> None:
        if self.progress is not None and step in self.tasks:
            self.progress.remove_task(self.tasks.pop(step))
        parts = []
        if self.materialized[step]:
            parts.append(_count(self.materialized[step], "asset"))
        if self.checked[step]:
            # a check that did not pass failed, errored or had nothing to check yet: the summary tells which
            failed = f" ({self.checks_failed[step]} not passed)" if self.checks_failed[step] else ""
            parts.append(_count(self.checked[step], "check") + failed)
        seconds = f"{at - self.started[step]:6.1f} s" if step in self.started else ""
        self.out.print(f"{status:<8}{step:<30} {', '.join(parts) or '-':<32} {seconds}".rstrip(), soft_wrap=True)
        if status == "FAILED":
            error = event.step_failure_data.error
            message = _innermost_message(error) if error is not None else (event.message or "failed")
            self.failures.append(f"{step}: {message}")
            for line in message.splitlines():
                self.out.print(f"        {line}", soft_wrap=True)
