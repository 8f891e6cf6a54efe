"""The process that executes one `itsm run` (started by pipelines/commands/core.py, never by hand).

`itsm run` holds the warehouse and watches; this process runs the Dagster job in its own process group, which the
parent kills whole when it is asked to stop, and which dies with the parent (PR_SET_PDEATHSIG) if it is killed.
Arguments: the run id; `--full-refresh` (passed on to the run as config); in quiet mode `--log FILE` (step lines on
the terminal, the full log in the file). Exit code 0 when the run succeeded, 1 when it failed or could not start.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.commands.core import quiet_refresh, run_refresh


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="run_worker")
    parser.add_argument("run_id")
    parser.add_argument("--full-refresh", action="store_true")
    parser.add_argument("--log", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.log is None:
        return 0 if run_refresh(args.run_id, full_refresh=args.full_refresh) else 1
    try:
        ok, failures = quiet_refresh(args.run_id, args.log, args.full_refresh)
    except Exception as err:
        print(f"error: the run could not start: {type(err).__name__}: {err}\n  full log: {args.log}", file=sys.stderr)
        return 1
    for failure in failures:
        print(f"  failed: {failure.splitlines()[0]}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
