"""What an auditor asked for, validated before anything is read or written."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta


class ExtractError(Exception):
    """A refusal with a message meant for the person at the terminal (bad input, missing data, missing key)."""


@dataclass(frozen=True)
class ExtractRequest:
    """An extract of one kind over an inclusive range of calendar dates (UTC), optionally one service.

    `date_to` is inclusive: `--from 2026-10-01 --to 2026-10-31` is the whole of October. Monthly kinds take
    every month that overlaps the range.
    """

    kind: str
    date_from: date
    date_to: date
    service: str | None = None
    pseudonymize: bool = True
    include_comments: bool = False
    # Publishing numbers whose latest data-quality run failed a blocking check needs an explicit override.
    allow_failed_checks: bool = False

    def __post_init__(self) -> None:
        if self.date_from > self.date_to:
            raise ExtractError(
                f"inverted date range: --from {self.date_from} is after --to {self.date_to}; nothing written"
            )

    @property
    def start_ts(self) -> datetime:
        return datetime.combine(self.date_from, time(0), tzinfo=UTC)

    @property
    def end_ts(self) -> datetime:
        """Exclusive end instant: midnight UTC after `date_to`."""
        return datetime.combine(self.date_to + timedelta(days=1), time(0), tzinfo=UTC)

    @property
    def first_month(self) -> date:
        return self.date_from.replace(day=1)

    def params(self) -> dict[str, object]:
        """Named SQL parameters every kind may use: $start_ts, $end_ts, $first_month, $last_day, $service."""
        return {
            "start_ts": self.start_ts,
            "end_ts": self.end_ts,
            "first_month": self.first_month,
            "last_day": self.date_to,
            "service": self.service,
        }

    def describe(self) -> dict[str, object]:
        """JSON-ready copy of the request, as written in the manifest."""
        out = asdict(self)
        out["date_from"] = self.date_from.isoformat()
        out["date_to"] = self.date_to.isoformat()
        return out


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise ExtractError(f"not a date: {text!r} (expected YYYY-MM-DD)") from err


def parse_month(text: str) -> tuple[date, date]:
    """`2026-10` -> (2026-10-01, 2026-10-31)."""
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError as err:
        raise ExtractError(f"not a month: {text!r} (expected YYYY-MM)") from err
    next_month = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, next_month - timedelta(days=1)
