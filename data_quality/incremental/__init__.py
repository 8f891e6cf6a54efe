"""Checks on new loads: how a run checks only what arrived since the last one, with the answer of a full check.

Raw tables arrive in loads (`_load_id`) that never change once landed. Each row rule of a raw suite is validated
once per load, on the load's *current* rows: those no later load of the same key replaced (the rows staging reads),
so a bad row corrected by a re-export stops failing. Each load's outcome (counts, first failing keys) is stored in
dq.check_units (`state.py`); a run validates only the loads without a stored outcome that still fits and adds up
the outcomes of every load present (`loads.py`). A load whose current row count changed is validated again.
Everything else (staging rules, reconciliations, volume, freshness, quarantine) is an aggregate checked whole.

Stored outcomes are keyed by a hash of the rule, the acknowledged keys and the GX / pandas versions: changing any
of them validates every load again. Errors are never stored. A check step writes its outcomes in one transaction
after its results are recorded (`PendingOutcomes`), so a step that dies leaves its loads to be validated again.
`reuse=False` (a full refresh) validates every load again.
"""

from data_quality.incremental.loads import run_per_load
from data_quality.incremental.state import UNITS_TABLE, PendingOutcomes

__all__ = ["UNITS_TABLE", "PendingOutcomes", "run_per_load"]
