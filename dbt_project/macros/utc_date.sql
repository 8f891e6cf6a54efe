{#- The UTC calendar date of a timestamp with time zone. DuckDB's cast(ts as date) converts through the
    session time zone (ICU), slower than reading the UTC wall clock off the epoch; the result
    is the same on our connections (TimeZone=UTC). -#}
{% macro utc_date(ts) -%}
    {{ return(adapter.dispatch('utc_date', 'itsm')(ts)) }}
{%- endmacro %}

{% macro duckdb__utc_date(ts) -%}
    cast(make_timestamp(epoch_us({{ ts }})) as date)
{%- endmacro %}

{#- Spark casts an instant to a date in the session time zone, UTC in the spark profile. -#}
{% macro spark__utc_date(ts) -%}
    cast({{ ts }} as date)
{%- endmacro %}
