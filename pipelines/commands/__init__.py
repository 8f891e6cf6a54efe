"""The `itsm` sub-commands, one module per concern.

Each module has a `register(app)` that declares its commands' options with Typer, and plain `cmd_*(args)`
functions that do the work. The Typer function hands its parameters over unchanged as an argparse-style namespace
(`invoke(cmd_x, locals())`), so an option is one parameter in the Typer signature and one `args.name` read in the
behaviour function, and the behaviour functions stay callable without any command-line parsing.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

import typer


def invoke(handler: Callable[[argparse.Namespace], int | None], params: dict[str, Any]) -> NoReturn:
    """Run a behaviour function with the command's parameters; its return value is the exit code."""
    raise typer.Exit(int(handler(argparse.Namespace(**params)) or 0))
