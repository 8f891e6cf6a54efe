"""Importing Great Expectations for less: the same GX, without paying at import for parts a validation never runs.

`import great_expectations` costs 1.7-2.2 s on this machine (python -X importtime, after the Dagster definitions
are loaded). Two things make up about 1.1 s of it and neither changes what GX computes here:
- GX's KL-divergence expectation and its KS-test metrics import `scipy.stats` and `altair` at module level (about
  0.6 s and 0.3 s, scipy.stats pulling scipy.linalg / spatial / special). The pandas expectations this project
  runs (not null, in set, between, column pair order, unique) never call them. Those two modules are loaded with
  the standard library's `importlib.util.LazyLoader` while GX is imported: the module object exists at once and
  its code runs on its first attribute access, so any code that does use them (GX or not) gets the real module.
- Python's cyclic garbage collector runs full collections while GX creates its thousands of classes; in a process
  holding the Dagster definitions every full collection walks all of them (0.2-0.4 s in total). The collector is
  paused for the import only; garbage made meanwhile is collected after it, as usual.

Measured in a process with the definitions loaded: 1.7 s -> 0.6 s. tests/data_quality/test_dq_gx_import.py checks
that the lazy modules still work when touched and that GX's answers are unchanged (the canary runs through here).
"""

from __future__ import annotations

import gc
import importlib.abc
import importlib.util
import os
import sys
from collections.abc import Sequence
from functools import lru_cache
from importlib.machinery import ModuleSpec
from types import ModuleType

# Imported by GX at module level only for expectations and metrics this project does not run (see above).
LAZY_MODULES = ("scipy.stats", "altair")


class _LazyModules(importlib.abc.MetaPathFinder):
    """Finds `names` through the other finders and hands back their spec with a LazyLoader around its loader."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


@lru_cache(maxsize=1)
def import_great_expectations() -> ModuleType:
    """`great_expectations` with its expectations registered, imported once per process (see the module doc)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # read by GX at import: no usage statistics sent
    if "great_expectations" in sys.modules:
        import great_expectations
        import great_expectations.expectations  # registers the expectation classes

        return great_expectations
    finder = _LazyModules([name for name in LAZY_MODULES if name not in sys.modules])
    collecting = gc.isenabled()
    sys.meta_path.insert(0, finder)
    gc.disable()
    try:
        import great_expectations
        import great_expectations.expectations
    finally:
        sys.meta_path.remove(finder)  # only the modules GX imported now are lazy; the rest of the process is not
        if collecting:
            gc.enable()
    return great_expectations
