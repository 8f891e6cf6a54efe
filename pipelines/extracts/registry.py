"""The extract kinds by CLI name. Each kind lives in its own module."""

from __future__ import annotations

from pipelines.extracts import availability, changes, data_quality, lineage, sla_breaches
from pipelines.extracts.request import ExtractError
from pipelines.extracts.spec import ExtractKind

KINDS: dict[str, ExtractKind] = {
    kind.name: kind
    for kind in (
        sla_breaches.KIND,
        changes.KIND,
        availability.KIND,
        data_quality.KIND,
        lineage.KIND,
    )
}


def get_kind(name: str) -> ExtractKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ExtractError(f"unknown extract kind {name!r}; known kinds: {', '.join(sorted(KINDS))}") from None
