{#- Join, for each probe instant, the interval of `relation` that contains it, when the intervals of one
    partition (the equality condition) are disjoint, e.g. merged outages or merged maintenance windows.
    Rows without a containing interval keep nulls (left join). DuckDB answers with an ASOF join (one sorted
    merge, no range explosion); the callers still test probe < end, so both versions return the same rows. -#}
{% macro join_interval_containing(relation, alias, equality, probe, start_col, end_col) -%}
    {{ return(adapter.dispatch('join_interval_containing', 'itsm')(relation, alias, equality, probe, start_col, end_col)) }}
{%- endmacro %}

{% macro duckdb__join_interval_containing(relation, alias, equality, probe, start_col, end_col) -%}
    asof left join {{ relation }} as {{ alias }}
        on {{ equality }}
        and {{ probe }} >= {{ alias }}.{{ start_col }}
{%- endmacro %}

{% macro default__join_interval_containing(relation, alias, equality, probe, start_col, end_col) -%}
    left join {{ relation }} as {{ alias }}
        on {{ equality }}
        and {{ probe }} >= {{ alias }}.{{ start_col }}
        and {{ probe }} < {{ alias }}.{{ end_col }}
{%- endmacro %}
