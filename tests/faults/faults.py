"""Helpers of the fault-injection tests: isolated pipeline environments, bounded waits, process lookups."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import pipeline_env

__all__ = ["pipeline_env"]  # re-exported: the fault tests import every helper from here

ITSM = Path(sys.executable).with_name("itsm")


def itsm(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(ITSM), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def start_itsm(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([str(ITSM), *args], env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.1) -> object:
    """Poll `condition` until it returns something true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def descendants(pid: int) -> list[int]:
    """Every living process below `pid` (children, grandchildren...), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":  # a zombie writes nothing
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [p for p, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def processes_using(env: dict[str, str]) -> list[int]:
    """Living processes whose environment names this pipeline's warehouse (the run, its worker, its dbt)."""
    marker = f"ITSM_WAREHOUSE={env['ITSM_WAREHOUSE']}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in entry.read_bytes().split(b"\0") and alive(int(entry.parent.name)):
                found.append(int(entry.parent.name))
        except OSError:
            continue
    return found
