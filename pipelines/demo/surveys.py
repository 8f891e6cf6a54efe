"""Demo satisfaction surveys: sent after a share of resolutions, about 30% answered, scores lower when slow."""

from __future__ import annotations

import numpy as np
import polars as pl

from data_quality.contract import SURVEYS
from pipelines.demo.window import END_S, HOUR, MINUTE, lognormal, to_datetime

SENT_SHARE = 0.4
RESPONSE_SHARE = 0.3
NPS_SHARE = 0.6
COMMENT_SHARE = 0.3
COMMENTS = {
    "good": ("Quick and friendly, thanks", "Fixed first time", "Great service", "Very helpful agent"),
    "neutral": ("OK in the end", "Took a while but sorted", "Fine"),
    "bad": ("Took far too long", "Had to chase several times", "Problem came back", "Nobody kept me informed"),
}


def generate_surveys(rng: np.random.Generator, tickets: pl.DataFrame) -> pl.DataFrame:
    resolved = tickets.filter(
        pl.col("resolved_s").is_not_null() & pl.col("ticket_type").is_in(["incident", "request"])
    ).sort("resolved_s", "ticket_id")
    resolved = resolved.filter(pl.Series(rng.random(resolved.height) < SENT_SHARE))
    n = resolved.height
    sent = resolved["resolved_s"].to_numpy() + rng.integers(10 * MINUTE, 2 * HOUR, size=n)
    responded = sent + np.maximum(lognormal(rng, 6 * HOUR, 1.2, n), 2 * MINUTE).astype(np.int64)
    answered = (rng.random(n) < RESPONSE_SHARE) & (responded < END_S)

    hours = (resolved["resolved_s"] - resolved["opened_s"]).to_numpy() / HOUR
    reopened = resolved["reopen_count"].to_numpy() > 0
    expected = 4.7 - 0.35 * np.log2(1 + hours / 8) - 0.8 * reopened
    csat = np.clip(np.rint(expected + rng.normal(0, 0.8, n)), 1, 5).astype(np.int64)
    nps = np.clip(np.rint(2.2 * csat - 1 + rng.normal(0, 1.2, n)), 0, 10).astype(np.int64)
    gives_nps = answered & (rng.random(n) < NPS_SHARE)
    mood = np.where(csat >= 4, "good", np.where(csat <= 2, "bad", "neutral"))
    comment = np.empty(n, dtype=object)
    for key, options in COMMENTS.items():
        rows = np.flatnonzero(mood == key)
        comment[rows] = np.array(options, dtype=object)[rng.integers(0, len(options), size=len(rows))]
    comment = np.where(answered & (rng.random(n) < COMMENT_SHARE), comment, None)

    frame = pl.DataFrame(
        {
            "ticket_id": resolved["ticket_id"],
            "sent_s": sent,
            "responded_s": np.where(answered, responded, -1),
            "csat_score": np.where(answered, csat, -1),
            "nps_score": np.where(gives_nps, nps, -1),
            "comment": pl.Series(comment.tolist(), dtype=pl.String),
        }
    ).with_columns(pl.when(pl.col(c) >= 0).then(pl.col(c)).alias(c) for c in ("responded_s", "csat_score", "nps_score"))
    return (
        frame.filter(pl.col("sent_s") < END_S)
        .sort("sent_s", "ticket_id")
        .with_columns(
            survey_id=pl.lit("S-") + (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(7),
            sent_at=to_datetime(pl.col("sent_s")),
            responded_at=to_datetime(pl.col("responded_s")),
        )
    )


def contract_surveys(surveys: pl.DataFrame) -> pl.DataFrame:
    return surveys.select(SURVEYS.column_names)
