"""The one configuration object. Defaults run the demo; environment variables override them.

| variable                 | default                   | meaning                                              |
|--------------------------|---------------------------|------------------------------------------------------|
| ITSM_WAREHOUSE           | warehouse/itsm.duckdb     | the DuckDB file every stage reads and writes         |
| ITSM_INBOX               | data/inbox                | folder of exports to ingest (CSV, Parquet, JSONL)    |
| ITSM_OUTPUT_DIR          | build                     | dashboards, extracts and other written outputs       |
| ITSM_SOURCE_TIMEZONES    | (all UTC)                 | `source=Zone,...`, time zone of naive timestamps     |
| ITSM_DEFAULT_TIMEZONE    | UTC                       | zone of naive timestamps of sources not listed above |
| ITSM_ADAPTER             | (detect from header)      | force one adapter for every file: canonical, ...     |
| ITSM_MAPPING             | (none)                    | mapping file (YAML) for inbox files without sidecar  |
| ITSM_PSEUDONYM_KEY       | (none)                    | key for pseudonymizing person fields in extracts     |
| ITSM_FULL_REFRESH        | off                       | `1`: every run under Dagster (UI, schedule, sensor)  |
|                          |                           | and `itsm check` rebuild / re-check from scratch     |
| ITSM_DUCKDB_MEMORY_LIMIT | 80%                       | DuckDB memory_limit of dbt's connection, e.g. 10GB   |
| ITSM_SCHEDULE_CRON       | 0 6 * * *                 | when the daily refresh runs under Dagster (cron)     |
| ITSM_SCHEDULE_TIMEZONE   | UTC                       | time zone the schedule's cron is read in             |
"""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
REFERENCE_DIR = DBT_PROJECT_DIR / "seeds"
PSEUDONYM_KEY_VARIABLE = "ITSM_PSEUDONYM_KEY"


def _parse_zones(text: str) -> dict[str, str]:
    zones: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        source, sep, zone = part.partition("=")
        if not sep or not zone.strip():
            raise ValueError(f"ITSM_SOURCE_TIMEZONES entry {part!r} must look like source=Area/City")
        zones[source.strip()] = zone.strip()
    return zones


def _check_schedule(cron: str, timezone: str) -> None:
    """Fail at start-up, naming the variable, rather than when Dagster first evaluates the schedule."""
    if len(cron.split()) != 5:
        raise ValueError(
            f"ITSM_SCHEDULE_CRON={cron!r} must be a five-field cron expression: minute hour day-of-month month "
            "day-of-week, e.g. '0 6 * * *' for 06:00 every day or '30 5 * * 1-5' for 05:30 on weekdays"
        )
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(
            f"ITSM_SCHEDULE_TIMEZONE={timezone!r} is not an IANA time zone name (e.g. UTC, Europe/London)"
        ) from err


@dataclass(frozen=True)
class Settings:
    warehouse_path: Path = PROJECT_ROOT / "warehouse" / "itsm.duckdb"
    inbox_dir: Path = PROJECT_ROOT / "data" / "inbox"
    output_dir: Path = PROJECT_ROOT / "build"
    # Time zone in which each source writes naive timestamps, keyed by adapter name
    # (servicenow, jira, canonical, probes). Never guessed: unlisted sources use default_timezone.
    source_timezones: dict[str, str] = field(default_factory=dict)
    default_timezone: str = "UTC"
    adapter_override: str | None = None
    # Mapping file (pipelines/ingest/mapping.py) for files that name none in their sidecar.
    mapping_file: Path | None = None
    pseudonym_key: str | None = None
    # Rebuild every dbt model from scratch and check every row again instead of refreshing only touched tickets
    # (after an upgrade that changes a per-ticket model's columns, or to rule out any doubt about incremental
    # state). The default of every Dagster run; `itsm run --full-refresh` sets it in the run's config.
    full_refresh: bool = False
    # DuckDB's memory_limit for dbt's connection: dbt spills to disk beyond it (DuckDB's own default is 80% of RAM).
    duckdb_memory_limit: str = "80%"
    # When the daemon of `make ui` (or any Dagster deployment) runs the whole refresh: a five-field cron read in
    # schedule_timezone, so "0 6 * * *" in Europe/London stays 06:00 local across the clock changes.
    schedule_cron: str = "0 6 * * *"
    schedule_timezone: str = "UTC"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        base = cls()
        settings = replace(
            base,
            warehouse_path=Path(env.get("ITSM_WAREHOUSE", base.warehouse_path)).resolve(),
            inbox_dir=Path(env.get("ITSM_INBOX", base.inbox_dir)).resolve(),
            output_dir=Path(env.get("ITSM_OUTPUT_DIR", base.output_dir)).resolve(),
            source_timezones=_parse_zones(env.get("ITSM_SOURCE_TIMEZONES", "")),
            default_timezone=env.get("ITSM_DEFAULT_TIMEZONE", base.default_timezone),
            adapter_override=env.get("ITSM_ADAPTER") or None,
            mapping_file=Path(env["ITSM_MAPPING"]).resolve() if env.get("ITSM_MAPPING") else None,
            pseudonym_key=env.get(PSEUDONYM_KEY_VARIABLE) or None,
            full_refresh=env.get("ITSM_FULL_REFRESH", "") not in ("", "0", "false"),
            duckdb_memory_limit=env.get("ITSM_DUCKDB_MEMORY_LIMIT", "").strip() or base.duckdb_memory_limit,
            schedule_cron=" ".join(env.get("ITSM_SCHEDULE_CRON", base.schedule_cron).split()),
            schedule_timezone=env.get("ITSM_SCHEDULE_TIMEZONE", base.schedule_timezone).strip(),
        )
        settings = replace(settings, **overrides) if overrides else settings
        _check_schedule(settings.schedule_cron, settings.schedule_timezone)
        return settings

    def dbt_vars(self) -> dict[str, str]:
        """The dbt vars profiles.yml reads (pass as `--vars`): the warehouse file and DuckDB's memory limit."""
        return {"warehouse_path": str(self.warehouse_path), "duckdb_memory_limit": self.duckdb_memory_limit}

    def timezone_for(self, source: str) -> str:
        return self.source_timezones.get(source, self.default_timezone)

    @property
    def reports_dir(self) -> Path:
        return self.output_dir / "reports"

    @property
    def extracts_dir(self) -> Path:
        return self.output_dir / "extracts"
