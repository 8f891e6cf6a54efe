"""Check definitions as data: what is checked, on which table, and how severe a failure is (engines read these
frozen records and never decide severity themselves; `suites.py` builds the project's suites)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    # A blocking failure stops downstream dbt models, dashboards and extracts; a warning is recorded and shown.
    BLOCKING = "blocking"
    WARNING = "warning"


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    # The thing to check does not exist yet (e.g. a mart not built): recorded, never counted as a pass.
    NOT_APPLICABLE = "not_applicable"
    # The check itself broke (engine exception, missing column): treated like a failure by the gate.
    ERROR = "error"


@dataclass(frozen=True)
class RowExpectation:
    """One row-level rule: a count of the rows of one relation that break it, with the keys of the first ones.

    kind is one of: not_null, unique, in_set, between, ordered, in_reference. engine is great_expectations (GX on
    a pandas frame) or sql (a count in DuckDB, sql_rows.py, for unique and in_reference).
    - unique: `columns` together are unique (for raw: key + _load_id, i.e. unique within one load).
    - ordered: columns (a, b) with a <= b (a < b when strict); rows where either is null are ignored.
    - in_reference: values of columns[0] exist in `reference` ("schema.table.column"); nulls are ignored.
    """

    name: str
    kind: str
    columns: tuple[str, ...]
    severity: Severity
    value_set: tuple[object, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    strict: bool = False
    reference: str | None = None
    description: str = ""
    engine: str = "great_expectations"


@dataclass(frozen=True)
class TableSuite:
    """The row-level expectations of one warehouse relation, validated together on one pandas frame."""

    name: str
    relation: str  # schema.table in the warehouse
    asset_key: tuple[str, ...]  # Dagster asset the checks attach to
    key_columns: tuple[str, ...]  # reported as sample keys of failing rows
    expectations: tuple[RowExpectation, ...]
    # True for raw tables: each load (`_load_id`) is validated once, its outcome reused (data_quality/incremental/)
    per_load: bool = False

    @property
    def columns(self) -> list[str]:
        """The key and every column a rule reads: all a check of this suite pulls from a 1M-row table."""
        return list(dict.fromkeys([*self.key_columns, *(c for exp in self.expectations for c in exp.columns)]))


@dataclass(frozen=True)
class VolumeCheck:
    """Latest load's row count for a raw table within [low_ratio, high_ratio] x median of the trailing loads."""

    name: str
    table: str  # raw table name
    asset_key: tuple[str, ...]
    severity: Severity
    trailing_loads: int = 7
    min_history: int = 3  # fewer earlier loads than this: not applicable (a band needs a history)
    low_ratio: float = 0.5
    high_ratio: float = 2.0
    description: str = ""


@dataclass(frozen=True)
class FreshnessCheck:
    """Newest business timestamp of a relation no older than max_age_hours at the reference time."""

    name: str
    relation: str
    column: str
    asset_key: tuple[str, ...]
    severity: Severity
    max_age_hours: float
    description: str = ""


@dataclass(frozen=True)
class FixedCheck:
    """An aggregate check over a fixed relation: nothing to configure but its name and severity."""

    name: str
    asset_key: tuple[str, ...]
    severity: Severity
    description: str = ""


class LoadBalanceCheck(FixedCheck):
    """Every load in raw.load_log: rows_read = rows_loaded + rows_quarantined (nothing lost on load)."""


class QuarantineCheck(FixedCheck):
    """Rows rejected on load (raw.quarantine): each is a record missing from every number, so it is shown."""


class UnclassifiedCheck(FixedCheck):
    """Tickets matching no service, SLA policy or calendar, or whose history starts mid-life
    (marts.dq_unclassified_tickets): each is shown, never silently missing from a KPI."""


@dataclass(frozen=True)
class LayerReconciliation:
    """Every key of `source` (after the documented filter) reaches `target`, nothing appears from nowhere, the
    target keeps its grain and the distinct key totals match. source_filter (column, value): the documented reason
    a source row may be absent from the target, applied to the target too when it has the column."""

    name: str
    source: str
    target: str
    key: str
    asset_key: tuple[str, ...]
    severity: Severity
    source_filter: tuple[str, str] | None = None
    description: str = ""


AggregateCheck = (
    VolumeCheck | FreshnessCheck | LoadBalanceCheck | QuarantineCheck | LayerReconciliation | UnclassifiedCheck
)


@dataclass(frozen=True)
class CheckResult:
    """One evaluated check, shaped like a row of dq.check_results."""

    check_name: str
    asset: str  # schema.table (or Dagster asset path joined by '.')
    severity: Severity
    status: Status
    observed_value: float | None = None
    failing_row_count: int | None = None
    failing_keys_sample: list[str] = field(default_factory=list)
    check_type: str = ""
    engine: str = ""
    details: str = ""

    @property
    def passed(self) -> bool | None:
        if self.status is Status.NOT_APPLICABLE:
            return None
        return self.status is Status.PASSED

    @property
    def blocks(self) -> bool:
        """True when this result must stop downstream work: a blocking check that failed or errored."""
        return self.severity is Severity.BLOCKING and self.status in (Status.FAILED, Status.ERROR)


def not_applicable(name: str, asset: str, severity: Severity, check_type: str, engine: str, why: str) -> CheckResult:
    """The result of a check whose subject does not exist (yet): recorded, never a pass."""
    return CheckResult(name, asset, severity, Status.NOT_APPLICABLE, check_type=check_type, engine=engine, details=why)
