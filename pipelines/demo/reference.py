"""Reference data the demo generator reads from the dbt seeds, so demo and KPIs share one truth.

Services, their support calendars and the incident SLA targets are data in `dbt_project/seeds`; the generator only
reads them (opening hours decide when demo tickets arrive, targets decide ServiceNow's `made_sla` flag).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.demo.window import WINDOW_START
from pipelines.settings import REFERENCE_DIR


@dataclass(frozen=True)
class Service:
    name: str
    owner: str
    tier: int
    support_calendar_id: str


@dataclass(frozen=True)
class Calendar:
    calendar_id: str
    timezone: str
    hours: dict[int, tuple[int, int]]  # ISO weekday -> (start, end) in seconds after local midnight
    holidays: frozenset[date]

    def business_days(self, first: date, last: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Working days in [first, last] as (days since 1970-01-01, open second, close second) arrays."""
        days, opens, closes = [], [], []
        day = first
        while day <= last:
            hours = self.hours.get(day.isoweekday())
            if hours and day not in self.holidays:
                days.append((day - date(1970, 1, 1)).days)
                opens.append(hours[0])
                closes.append(hours[1])
            day += timedelta(days=1)
        return np.array(days, np.int64), np.array(opens, np.int64), np.array(closes, np.int64)


@dataclass(frozen=True)
class Reference:
    services: tuple[Service, ...]
    calendars: dict[str, Calendar]
    incident_resolution_minutes: dict[int, int]  # priority -> first policy's resolution target (ServiceNow made_sla)

    @property
    def service_names(self) -> list[str]:
        return [s.name for s in self.services]


def _seconds(text: str) -> int:
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def load_reference(seed_dir: Path = REFERENCE_DIR) -> Reference:
    services_df = pl.read_csv(seed_dir / "services.csv", infer_schema=False)
    calendars_df = pl.read_csv(seed_dir / "calendars.csv", infer_schema=False)
    holidays_df = pl.read_csv(seed_dir / "holidays.csv", infer_schema=False)
    policies_df = pl.read_csv(seed_dir / "sla_policies.csv", infer_schema=False)

    calendars: dict[str, Calendar] = {}
    for (calendar_id,), rows in calendars_df.group_by("calendar_id", maintain_order=True):
        holidays = holidays_df.filter(pl.col("calendar_id") == calendar_id)["holiday_date"]
        calendars[str(calendar_id)] = Calendar(
            calendar_id=str(calendar_id),
            timezone=rows["timezone"][0],
            hours={
                int(r["weekday"]): (_seconds(r["start_time"]), _seconds(r["end_time"]))
                for r in rows.iter_rows(named=True)
            },
            holidays=frozenset(date.fromisoformat(d) for d in holidays),
        )

    # Only real services get demo work: a row without a tier (the `unassigned` placeholder for exports that name
    # no service) has no owner, calendar or target to simulate.
    services = tuple(
        Service(
            name=r["service"],
            owner=r["owner"],
            tier=int(r["tier"]),
            support_calendar_id=r["support_calendar_id"] or "24x7",
        )
        for r in services_df.iter_rows(named=True)
        # `unassigned` (no tier) is where exports without a service land; the demo names a service on every ticket.
        if r["tier"] is not None
    )
    # The policy in force when the demo window opens (open-ended defaults start long before it).
    first_policy = (
        policies_df.filter(
            (pl.col("ticket_type") == "incident")
            & (pl.col("metric") == "resolution")
            & (pl.col("valid_from") <= WINDOW_START.date().isoformat())
        )
        .sort("valid_from", descending=True)
        .unique("priority", keep="first", maintain_order=True)
    )
    targets = {int(r["priority"]): int(r["target_minutes"]) for r in first_policy.iter_rows(named=True)}
    return Reference(services=services, calendars=calendars, incident_resolution_minutes=targets)
