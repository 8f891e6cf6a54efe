"""The fixed demo window and the epoch-second helpers every generator module shares.

The window is fixed (not relative to today) so the same seed always writes byte-identical files.
Times are handled as int64 seconds since the Unix epoch (UTC) in numpy, and turned into polars datetimes at the end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import polars as pl

WINDOW_START = datetime(2025, 11, 1, tzinfo=UTC)
WINDOW_END = datetime(2026, 11, 1, tzinfo=UTC)  # exclusive; the exports are taken at this instant
FIRST_DAY = date(2025, 11, 1)
LAST_DAY = date(2026, 10, 31)

START_S = int(WINDOW_START.timestamp())
END_S = int(WINDOW_END.timestamp())
SPAN_S = END_S - START_S

MINUTE = 60
HOUR = 3600
DAY = 86400

CANONICAL_TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def local_to_utc(local_seconds: np.ndarray, timezone: str) -> np.ndarray:
    """Naive wall-clock seconds in `timezone` -> UTC epoch seconds (DST-aware, earliest of an ambiguous hour)."""
    naive = pl.Series(local_seconds * 1_000_000, dtype=pl.Int64).cast(pl.Datetime("us"))

    def convert(series: pl.Series) -> pl.Series:
        return series.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")

    utc = convert(naive)
    # A wall time inside the spring-forward gap does not exist; move it one hour later, as clocks do.
    utc = utc.fill_null(convert(naive + pl.duration(hours=1)))
    return utc.dt.epoch("s").to_numpy().astype(np.int64)


def to_datetime(seconds: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """Epoch seconds -> UTC-aware polars datetime (nulls stay null)."""
    return (seconds * 1_000_000).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: float, size: int) -> np.ndarray:
    """Durations with a long right tail around `median` (how ITSM durations look)."""
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(size))
