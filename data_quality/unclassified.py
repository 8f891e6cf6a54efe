"""Tickets the pipeline could not fully classify (marts.dq_unclassified_tickets), for people: the data-quality
warning check, the closing lines of `itsm run` and the report's data-quality section (dashboards/queries.py)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from data_quality.specs import CheckResult, Status, UnclassifiedCheck, not_applicable
from data_quality.sql_checks import relation_exists

RELATION = "marts.dq_unclassified_tickets"


@dataclass(frozen=True)
class Unclassified:
    reason: str
    description: str
    tickets: int
    samples: str | None

    @property
    def line(self) -> str:
        """'1,234 tickets matched no SLA policy (no SLA clock) (e.g. INC001, INC002)'"""
        noun = "ticket" if self.tickets == 1 else "tickets"
        example = f" (e.g. {self.samples})" if self.samples else ""
        return f"{self.tickets:,} {noun} {self.description}{example}"


def unclassified(conn: duckdb.DuckDBPyConnection) -> list[Unclassified] | None:
    """Every reason with at least one ticket, largest first; None when the mart is not built yet."""
    if not relation_exists(conn, RELATION):
        return None
    rows = conn.execute(
        f"""select reason, description, ticket_count, sample_ticket_ids from {RELATION}
            where ticket_count > 0 order by ticket_count desc, reason"""
    ).fetchall()
    return [Unclassified(reason, text, int(n), samples) for reason, text, n, samples in rows]


def unclassified_summary(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per reason (Unclassified.line); empty when everything was classified or the mart is not built."""
    return [item.line for item in unclassified(conn) or []]


def check_unclassified(conn: duckdb.DuckDBPyConnection, spec: UnclassifiedCheck) -> CheckResult:
    """Failed (at the spec's severity, a warning) when any ticket is unclassified, with counts per reason in the
    details and sample keys as 'reason: ticket_id'."""
    items = unclassified(conn)
    if items is None:
        why = f"{RELATION} does not exist (not built yet)"
        return not_applicable(spec.name, RELATION, spec.severity, "unclassified", "sql", why)
    sample = [f"{i.reason}: {key}" for i in items for key in (i.samples or "").split(", ")[:3] if key]
    total = sum(i.tickets for i in items)
    return CheckResult(
        spec.name,
        RELATION,
        spec.severity,
        Status.PASSED if not items else Status.FAILED,
        observed_value=float(total),
        failing_row_count=total,
        failing_keys_sample=sample[:10],
        check_type="unclassified",
        engine="sql",
        details="; ".join(i.line for i in items) if items else "every ticket classified",
    )
