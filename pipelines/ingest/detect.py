"""Which adapter reads a file: the first whose header test matches, unless settings name one."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.adapter import Adapter
from pipelines.ingest.canonical import CanonicalAdapter
from pipelines.ingest.files import FileRejected
from pipelines.ingest.jira import JiraAdapter
from pipelines.ingest.probes import ProbesAdapter
from pipelines.ingest.servicenow import ServiceNowAdapter

# Most specific first: canonical matches loosely (any file whose columns cover a contract table).
ADAPTERS: tuple[Adapter, ...] = (ProbesAdapter(), ServiceNowAdapter(), JiraAdapter(), CanonicalAdapter())
ADAPTER_NAMES = tuple(a.name for a in ADAPTERS)


def adapter_named(name: str) -> Adapter:
    for adapter in ADAPTERS:
        if adapter.name == name:
            return adapter
    raise ValueError(f"unknown adapter {name!r}; choose one of {', '.join(ADAPTER_NAMES)}")


def detect_adapter(header: tuple[str, ...], path: Path, override: str | None = None) -> Adapter:
    if override:
        try:
            return adapter_named(override)
        except ValueError as err:
            raise FileRejected(path, str(err)) from None
    for adapter in ADAPTERS:
        if adapter.matches(header, path):
            return adapter
    shown = ", ".join(header[:15]) + (", ..." if len(header) > 15 else "")
    raise FileRejected(
        path,
        f"unknown format: the header matches no adapter ({', '.join(ADAPTER_NAMES)}); header line 1 was: {shown}",
    )
