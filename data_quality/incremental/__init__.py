"""Checks on new loads: how a run checks only what arrived since the last one, with the answer of a full check.

Raw tables arrive in loads (`_load_id`) that never change once landed. Each row rule of a raw suite is validated
once per load (GX, or DuckDB for the sql engine's rules), on the load's *current* rows: those no later load of the
same key replaced, i.e. the rows staging reads. A superseded row stays in raw as history but is no longer judged,
so a bad row corrected by a re-export stops failing. The outcome (counts, first failing keys) is stored per load
in dq.check_units (`state.py`); a run validates only the loads without a stored outcome that still fits and adds
up the outcomes of the loads present (`loads.py`; gx_engine.to_check_result): the same counts a validation of
every current row gives. A load whose current row count changed (a later load replaced some of its keys) is
validated again; a load gone from raw no longer counts.

Everything else is checked whole on every run, in SQL: the staging rules (key unique, references), the layer
reconciliations, volume, freshness, load balance and quarantine (sql_rows.py, sql_checks.py). They are
aggregates DuckDB answers in one pass, so no other state is kept.

Stored outcomes are keyed by a hash of the rule (kind, columns, values, bounds, sample keys, the acknowledged
keys) and the GX / pandas versions: changing a rule, acknowledging a key or upgrading GX validates every load
again once. Errors are never stored. A check step collects its outcomes in a `PendingOutcomes` and writes them
in one transaction once every check of the step has run and its results are recorded, so a step that dies
leaves its loads to be validated again by the next run. `reuse=False` (ITSM_FULL_REFRESH=1) validates every
load again.
"""

from data_quality.incremental.loads import run_per_load
from data_quality.incremental.state import UNITS_TABLE, PendingOutcomes

__all__ = ["UNITS_TABLE", "PendingOutcomes", "run_per_load"]
