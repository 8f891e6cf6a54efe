"""Stand-in for dbt's cross-database macro namespace (`dbt.safe_cast(...)`, `dbt.bool_or(...)`, ...) when
sqlfluff's jinja templater renders the models: each call renders as a SQL function call with the same
arguments, so the surrounding SQL still parses and lints. dbt itself never imports it.
"""

from __future__ import annotations

from collections.abc import Callable


def __getattr__(macro_name: str) -> Callable[..., str]:
    if macro_name.startswith("__"):
        raise AttributeError(macro_name)

    def render(*args: object, **kwargs: object) -> str:
        return f"{macro_name}({', '.join(str(a) for a in args)})"

    return render
