"""Dagster resources: the warehouse (DuckDB file + settings) and dbt. Configured once in definitions.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from pipelines.settings import PSEUDONYM_KEY_VARIABLE, Settings
from pipelines.warehouse import open_warehouse, warehouse_connection

if TYPE_CHECKING:
    from dagster._config.pythonic_config import PartialResource

__all__ = ["WarehouseResource", "open_warehouse", "warehouse_connection"]


class WarehouseResource(ConfigurableResource):
    """The pipeline's one Settings object and the DuckDB warehouse it names, as one injected resource.

    Its config is the Settings in the plain values Dagster config holds (paths as text); `settings` gives that
    Settings back, never read again from the environment. Definitions take it from `from_settings`, where every
    value is a default a run may change at launch: `itsm run --full-refresh` sets
    resources.warehouse.config.full_refresh in the run config. The pseudonym key is a secret: its config is the
    variable it is read from when a run starts (Dagster's EnvVar), never the key itself.
    Connections are opened per use and closed at once: dbt runs in its own process and DuckDB allows
    only one writing process per file.
    """

    warehouse_path: str
    inbox_dir: str
    output_dir: str
    source_timezones: dict[str, str] = Field(default_factory=dict)
    default_timezone: str = "UTC"
    adapter_override: str | None = None
    mapping_file: str | None = None
    pseudonym_key: str | None = None
    full_refresh: bool = Field(
        default=False, description="rebuild every dbt model from scratch and check every row again"
    )
    duckdb_memory_limit: str = "80%"
    schedule_cron: str = "0 6 * * *"
    schedule_timezone: str = "UTC"

    @classmethod
    def from_settings(cls, settings: Settings) -> PartialResource[WarehouseResource]:
        """The resource for Definitions: configured from `settings`, each value a default a run may override."""
        return cls.configure_at_launch(
            warehouse_path=str(settings.warehouse_path),
            inbox_dir=str(settings.inbox_dir),
            output_dir=str(settings.output_dir),
            source_timezones=dict(settings.source_timezones),
            default_timezone=settings.default_timezone,
            adapter_override=settings.adapter_override,
            mapping_file=str(settings.mapping_file) if settings.mapping_file else None,
            pseudonym_key=EnvVar(PSEUDONYM_KEY_VARIABLE) if settings.pseudonym_key else None,
            full_refresh=settings.full_refresh,
            duckdb_memory_limit=settings.duckdb_memory_limit,
            schedule_cron=settings.schedule_cron,
            schedule_timezone=settings.schedule_timezone,
        )

    @property
    def settings(self) -> Settings:
        return Settings(
            warehouse_path=Path(self.warehouse_path),
            inbox_dir=Path(self.inbox_dir),
            output_dir=Path(self.output_dir),
            source_timezones=dict(self.source_timezones),
            default_timezone=self.default_timezone,
            adapter_override=self.adapter_override,
            mapping_file=Path(self.mapping_file) if self.mapping_file else None,
            pseudonym_key=self.pseudonym_key,
            full_refresh=self.full_refresh,
            duckdb_memory_limit=self.duckdb_memory_limit,
            schedule_cron=self.schedule_cron,
            schedule_timezone=self.schedule_timezone,
        )

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        yield from open_warehouse(Path(self.warehouse_path), read_only=read_only)
