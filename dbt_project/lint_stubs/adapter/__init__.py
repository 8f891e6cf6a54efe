"""Stand-in for dbt's `adapter` object when sqlfluff's jinja templater renders the models.

sqlfluff does not run dbt, so `adapter.dispatch(...)` is undefined there. This module (put on the
templater's `library_path` in .sqlfluff) makes every dispatched macro render as plain SQL with the same
shape: a function call for expressions, a join for the business-clock joins, a select for row generators.
dbt itself never imports it.
"""

from __future__ import annotations

from collections.abc import Callable

_JOINS = {"business_clock_join", "business_clock_inverse_join"}
_SELECTS = {"date_rows": "select null as calendar_date"}
# Dispatched macros that render a keyword rather than an expression.
_KEYWORDS = {"materialized_when_refreshing": "materialized"}


def dispatch(macro_name: str, macro_namespace: str | None = None) -> Callable[..., str]:
    def render(*args: object, **kwargs: object) -> str:
        if macro_name in _JOINS:
            alias, left = str(args[0]), str(args[1])
            return f"left join lint_stub as {alias} on {left} = {alias}.calendar_id"
        if macro_name == "join_interval_containing":  # (relation, alias, equality, ...)
            return f"left join {args[0]} as {args[1]} on {args[2]}"
        if macro_name in _SELECTS:
            return _SELECTS[macro_name]
        if macro_name in _KEYWORDS:
            return _KEYWORDS[macro_name]
        return f"{macro_name}({', '.join(str(a) for a in args)})"

    return render
