"""The process that executes one `itsm run` (started by pipelines/commands/core.py, never by hand).

`itsm run` holds the warehouse and watches; this process runs the Dagster job in its own process group, which the
parent kills whole when it is asked to stop, and which dies with the parent (PR_SET_PDEATHSIG) if it is killed.
Arguments: the run id, and in quiet mode the log file (step lines on the terminal, the full log in the file).
Exit code 0 when the run succeeded, 1 when it failed or could not start.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.commands.core import quiet_refresh, run_refresh


def main(argv: list[str]) -> int:
    run_id, *log = argv
    if not log:
        return 0 if run_refresh(run_id) else 1
    log_path = Path(log[0])
    try:
        ok, failures = quiet_refresh(run_id, log_path)
    except Exception as err:
        print(f"error: the run could not start: {type(err).__name__}: {err}\n  full log: {log_path}", file=sys.stderr)
        return 1
    for failure in failures:
        print(f"  failed: {failure.splitlines()[0]}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
