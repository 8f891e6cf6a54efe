"""The process that executes one `itsm run` (started by pipelines/commands/core.py, never by hand).

`itsm run` holds the warehouse and watches; this process runs the Dagster job in its own process group, which the
parent kills whole when it is asked to stop, and which dies with the parent (PR_SET_PDEATHSIG) if it is killed.
Exit code 0 when the run succeeded, 1 when it failed.
"""

from __future__ import annotations

import sys

from pipelines.commands.core import run_refresh


def main(argv: list[str]) -> int:
    (run_id,) = argv
    return 0 if run_refresh(run_id) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
