"""Errors the CLI turns into one-line messages; no heavy imports, so `itsm --help` stays fast."""

from __future__ import annotations


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse for longer than this command waits. The message says what to do."""


class WarehouseDamaged(RuntimeError):
    """The warehouse file is damaged (truncated, corrupt header or block)."""
