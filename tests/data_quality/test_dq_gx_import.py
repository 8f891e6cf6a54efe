"""The cheaper GX import (data_quality/gx_import.py) defers two modules GX never runs here, and nothing else changes:
the deferred modules are complete when touched, the garbage collector is back on, and GX validates as before (the
canary in test_dq_gx_canary.py goes through the same import)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IN_FRESH_PROCESS = """
import gc, json, sys
from data_quality.gx_import import import_great_expectations
gx = import_great_expectations()
ran_before_use = "scipy.stats._stats_py" in sys.modules or "altair.vegalite" in sys.modules
# GX's own KL-divergence module holds the deferred modules; using them loads them in full
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
entropy = float(kl.stats.entropy([0.5, 0.5], [0.25, 0.75]))
chart = kl.alt.Chart.__name__
print(json.dumps({"gc": gc.isenabled(), "ran_before_use": ran_before_use, "entropy": entropy, "chart": chart,
                  "loaded_after_use": "scipy.stats._stats_py" in sys.modules, "has_pandas_source":
                  hasattr(gx.get_context(mode="ephemeral").data_sources, "add_pandas")}))
"""


def test_deferred_modules_are_whole_when_used_and_gc_is_back_on():
    proc = subprocess.run(
        [sys.executable, "-c", IN_FRESH_PROCESS], cwd=ROOT, capture_output=True, text=True, check=True
    )
    run = json.loads(proc.stdout.strip().splitlines()[-1])
    assert run["gc"] is True
    assert run["ran_before_use"] is False  # scipy.stats / altair code had not run after importing GX
    # KL(p || q) for p = (1/2, 1/2), q = (1/4, 3/4): 1/2 ln(2) + 1/2 ln(2/3) = 0.5 * ln(4/3) = 0.143841...
    assert abs(run["entropy"] - 0.5 * 0.28768207245178085) < 1e-12
    assert run["chart"] == "Chart" and run["loaded_after_use"] is True
    assert run["has_pandas_source"] is True
