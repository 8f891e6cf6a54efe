"""Dagster resources: the warehouse (DuckDB file + settings) and dbt. Configured once in definitions.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from pipelines.settings import Settings
from pipelines.warehouse import open_warehouse, warehouse_connection

__all__ = ["WarehouseResource", "open_warehouse", "warehouse_connection"]


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse and the pipeline settings, as one injected resource.

    Connections are opened per use and closed at once: dbt runs in its own process and DuckDB allows
    only one writing process per file.
    """

    warehouse_path: str
    inbox_dir: str
    output_dir: str
    default_timezone: str = "UTC"
    source_timezones: dict[str, str] = Field(default_factory=dict)
    adapter_override: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(
            warehouse_path=str(settings.warehouse_path),
            inbox_dir=str(settings.inbox_dir),
            output_dir=str(settings.output_dir),
            default_timezone=settings.default_timezone,
            source_timezones=dict(settings.source_timezones),
            adapter_override=settings.adapter_override,
        )

    @property
    def settings(self) -> Settings:
        return Settings.from_env(
            warehouse_path=Path(self.warehouse_path),
            inbox_dir=Path(self.inbox_dir),
            output_dir=Path(self.output_dir),
            default_timezone=self.default_timezone,
            source_timezones=dict(self.source_timezones),
            adapter_override=self.adapter_override,
        )

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        yield from open_warehouse(Path(self.warehouse_path), read_only=read_only)
