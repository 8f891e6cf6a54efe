"""The project's data-quality suites, as code: row rules on `raw` come from the canonical contract (so the suites
and the loader cannot drift apart); the rules it cannot express are listed here with their severity.

Severity policy (why each is what it is):
- blocking: anything that silently changes a published number - a missing required field, a value outside
  its set or range, timestamps in the wrong order (negative durations in MTTR / availability), a key
  duplicated in the latest view, a load or layer that lost rows.
- warning: things that are visible but do not corrupt a KPI - the same key twice inside one load (the later
  row wins by design), a service missing from the reference (its tickets use the default calendar),
  unusual load volume, stale data.
"""

from __future__ import annotations

from data_quality.contract import CHANGES, OUTAGES, SURVEYS, TABLES, TICKETS, Column, Table
from data_quality.specs import (
    FreshnessCheck,
    LayerReconciliation,
    LoadBalanceCheck,
    QuarantineCheck,
    RowExpectation,
    Severity,
    TableSuite,
    UnclassifiedCheck,
    VolumeCheck,
)

B, W = Severity.BLOCKING, Severity.WARNING

# Timestamp order per table: (earlier, later, severity), earlier <= later. Ignored when either side is null.
ORDERED_PAIRS: dict[str, tuple[tuple[str, str, Severity], ...]] = {
    TICKETS.name: (
        ("opened_at", "resolved_at", B),
        ("resolved_at", "closed_at", B),
        ("opened_at", "closed_at", B),
        ("opened_at", "first_response_at", W),
    ),
    CHANGES.name: (
        ("planned_start", "planned_end", B),
        ("actual_start", "actual_end", B),
        ("requested_at", "approved_at", W),
    ),
    # A zero-length window (status pages publish them) adds no downtime and is kept; only an end before the start is
    # wrong enough to block.
    OUTAGES.name: (("started_at", "ended_at", B),),
    SURVEYS.name: (("sent_at", "responded_at", W),),
}

# Referential links checked on the latest rows (staging): a missing service changes which calendar applies.
SERVICE_REFERENCE = "reference.services.service"
REFERENCE_LINKS: dict[str, tuple[str, ...]] = {
    TICKETS.name: ("service",),
    CHANGES.name: ("service",),
    OUTAGES.name: ("service",),  # availability targets and service-hours calendars come from the reference
}

# Freshness: the newest business timestamp per raw table, and how old it may be.
FRESHNESS_COLUMNS: dict[str, tuple[str, float]] = {
    TICKETS.name: ("opened_at", 48.0),
    "ticket_events": ("event_at", 48.0),
    CHANGES.name: ("requested_at", 7 * 24.0),
    OUTAGES.name: ("started_at", 31 * 24.0),
    SURVEYS.name: ("sent_at", 7 * 24.0),
}


def raw_asset_key(table: str) -> tuple[str, ...]:
    return ("raw", table)


def staging_model(table: str) -> str:
    return f"stg_raw__{table}"


def staging_asset_key(table: str) -> tuple[str, ...]:
    # dagster-dbt's default key for a model with a custom schema is [schema, model name].
    return ("staging", staging_model(table))


def _typed_value_set(col: Column) -> tuple[object, ...]:
    # The contract lists allowed values as text; integer columns (priority) hold them as numbers in raw.
    return tuple(int(v) for v in col.allowed) if col.type in ("INTEGER", "BIGINT") else col.allowed


def _range_text(col: Column) -> str:
    if col.max_value is None:  # every range in the contract has a lower bound
        return f"{col.name} >= {col.min_value:g}"
    return f"{col.name} between {col.min_value:g} and {col.max_value:g}"


def raw_suite(table: Table) -> TableSuite:
    """Row-level expectations on everything that arrived in raw.<table> (all loads, history included)."""
    t = table.name
    exps: list[RowExpectation] = [
        RowExpectation(f"raw_{t}__{c}__not_null", "not_null", (c,), B, description=f"{c} is required")
        for c in table.required
    ]
    exps.append(
        RowExpectation(
            f"raw_{t}__key_unique_per_load",
            "unique",
            (*table.key, "_load_id"),
            W,
            description=f"{', '.join(table.key)} appears once per load (a repeat inside one file: the last row wins)",
            engine="sql",
        )
    )
    for col in table.columns:
        if col.allowed is not None:
            exps.append(
                RowExpectation(
                    f"raw_{t}__{col.name}__in_set",
                    "in_set",
                    (col.name,),
                    B,
                    value_set=_typed_value_set(col),
                    description=f"{col.name} in {', '.join(col.allowed)}",
                )
            )
        if col.min_value is not None or col.max_value is not None:
            exps.append(
                RowExpectation(
                    f"raw_{t}__{col.name}__in_range",
                    "between",
                    (col.name,),
                    B,
                    min_value=col.min_value,
                    max_value=col.max_value,
                    description=_range_text(col),
                )
            )
    for earlier, later, severity in ORDERED_PAIRS.get(t, ()):
        exps.append(
            RowExpectation(
                f"raw_{t}__{earlier}_before_{later}",
                "ordered",
                (earlier, later),
                severity,
                description=f"{earlier} <= {later} when both are set",
            )
        )
    return TableSuite(
        name=f"raw_{t}",
        relation=f"raw.{t}",
        asset_key=raw_asset_key(t),
        key_columns=(*table.key, "_load_id"),
        expectations=tuple(exps),
        per_load=True,
    )


def staging_suite(table: Table) -> TableSuite:
    """Expectations on the latest row per key (what the marts read): key unique, referential links."""
    t = table.name
    exps: list[RowExpectation] = [
        RowExpectation(
            f"stg_{t}__key_unique",
            "unique",
            table.key,
            B,
            description=f"{', '.join(table.key)} unique in the latest view",
            engine="sql",
        )
    ]
    for column in REFERENCE_LINKS.get(t, ()):
        exps.append(
            RowExpectation(
                f"stg_{t}__{column}__in_services",
                "in_reference",
                (column,),
                W,
                reference=SERVICE_REFERENCE,
                description=f"{column} exists in {SERVICE_REFERENCE.rsplit('.', 1)[0]}",
                engine="sql",
            )
        )
    return TableSuite(
        name=f"stg_{t}",
        relation=f"staging.{staging_model(t)}",
        asset_key=staging_asset_key(t),
        key_columns=table.key,
        expectations=tuple(exps),
    )


RAW_SUITES: tuple[TableSuite, ...] = tuple(raw_suite(t) for t in TABLES.values())
# Staging suites only where they add something beyond raw: referential links on latest rows.
STAGING_SUITES: tuple[TableSuite, ...] = tuple(staging_suite(TABLES[t]) for t in REFERENCE_LINKS)
TABLE_SUITES: tuple[TableSuite, ...] = RAW_SUITES + STAGING_SUITES

VOLUME_CHECKS: tuple[VolumeCheck, ...] = tuple(
    VolumeCheck(
        name=f"raw_{t}__load_volume",
        table=t,
        asset_key=raw_asset_key(t),
        severity=W,
        description="latest load's rows within 0.5x-2x the median of the 7 loads before it",
    )
    for t in TABLES
)

FRESHNESS_CHECKS: tuple[FreshnessCheck, ...] = tuple(
    FreshnessCheck(
        name=f"raw_{t}__freshness",
        relation=f"raw.{t}",
        column=column,
        asset_key=raw_asset_key(t),
        severity=W,
        max_age_hours=hours,
        description=f"newest {column} at most {hours:g} h old",
    )
    for t, (column, hours) in FRESHNESS_COLUMNS.items()
)

# The load log and the quarantine have no asset of their own: their checks sit on the tickets asset, which
# every ticket export feeds, and are named after their table so the results read correctly.
LOAD_BALANCE = LoadBalanceCheck(
    name="raw_load_log__read_equals_loaded_plus_quarantined",
    asset_key=raw_asset_key(TICKETS.name),
    severity=B,
    description="for every load: rows_read = rows_loaded + rows_quarantined",
)

QUARANTINE = QuarantineCheck(
    name="raw_quarantine__rejected_rows",
    asset_key=raw_asset_key(TICKETS.name),
    severity=W,
    description="rows rejected on load and kept in raw.quarantine (file, line, reason)",
)


def _raw_to_staging(table: Table) -> LayerReconciliation:
    (key,) = table.key
    return LayerReconciliation(
        name=f"raw_to_staging__{table.name}",
        source=f"raw.{table.name}",
        target=f"staging.{staging_model(table.name)}",
        key=key,
        asset_key=staging_asset_key(table.name),
        severity=B,
        description=f"every raw {key} reaches staging exactly once",
    )


def _staging_to_mart(table: Table, mart: str, source_filter: tuple[str, str] | None = None) -> LayerReconciliation:
    (key,) = table.key
    where = f" (documented filter: {source_filter[0]} = {source_filter[1]})" if source_filter else ""
    return LayerReconciliation(
        name=f"staging_to_{mart}__{table.name}",
        source=f"staging.{staging_model(table.name)}",
        target=f"marts.{mart}",
        key=key,
        asset_key=("marts", mart),
        severity=B,
        source_filter=source_filter,
        description=f"every {key} in staging{where} reaches {mart} exactly once; distinct totals match",
    )


# "Nothing lost" between layers, per single-key table (ticket_events has a compound key and no one-row mart).
RECONCILIATIONS: tuple[LayerReconciliation, ...] = (
    *(_raw_to_staging(t) for t in (TICKETS, CHANGES, OUTAGES, SURVEYS)),
    _staging_to_mart(TICKETS, "fct_incident", ("ticket_type", "incident")),  # fct_incident holds incidents only
    _staging_to_mart(CHANGES, "fct_change"),
    _staging_to_mart(SURVEYS, "fct_survey"),
)

# Tickets left without a service, an SLA policy or a business calendar, or whose history starts mid-life: shown,
# never silently missing from a KPI (marts.dq_unclassified_tickets; data_quality/unclassified.py).
UNCLASSIFIED = UnclassifiedCheck(
    name="tickets__unclassified",
    asset_key=("marts", "dq_unclassified_tickets"),
    severity=W,
    description="tickets matching no service, SLA policy or calendar, or whose history starts mid-life",
)

# Every check that judges a whole relation rather than single rows, in run order.
AGGREGATE_CHECKS = (
    *VOLUME_CHECKS,
    *FRESHNESS_CHECKS,
    LOAD_BALANCE,
    QUARANTINE,
    *RECONCILIATIONS,
    UNCLASSIFIED,
)
