{#- Small SQL pieces whose spelling differs between engines. DuckDB is the embedded default;
    the default__ versions are ANSI / Postgres-like so another adapter can take over. -#}

{#- Seconds since 1970-01-01 UTC of a timestamp with time zone, as a double (fractions kept). -#}
{% macro epoch_seconds(ts) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'itsm')(ts)) }}
{%- endmacro %}

{% macro duckdb__epoch_seconds(ts) -%}
    epoch({{ ts }})
{%- endmacro %}

{% macro default__epoch_seconds(ts) -%}
    extract(epoch from {{ ts }})
{%- endmacro %}

{#- A timestamp plus a (possibly fractional) number of seconds, to the microsecond. -#}
{% macro add_seconds(ts, seconds) -%}
    {{ return(adapter.dispatch('add_seconds', 'itsm')(ts, seconds)) }}
{%- endmacro %}

{% macro duckdb__add_seconds(ts, seconds) -%}
    ({{ ts }} + to_microseconds(cast(round(({{ seconds }}) * 1000000.0) as bigint)))
{%- endmacro %}

{% macro default__add_seconds(ts, seconds) -%}
    ({{ ts }} + ({{ seconds }}) * interval '1 second')
{%- endmacro %}

{#- Wall-clock (naive) timestamp read in IANA zone `tz` -> the UTC instant.
    DuckDB (ICU) resolves a wall time that does not exist (spring-forward gap) by moving it forward by the
    gap (02:30 New York on the spring-forward day = 03:30 EDT), and an ambiguous wall time (fall-back
    repeat) to its later, standard-time occurrence. -#}
{% macro local_to_utc(local_ts, tz) -%}
    {{ return(adapter.dispatch('local_to_utc', 'itsm')(local_ts, tz)) }}
{%- endmacro %}

{% macro duckdb__local_to_utc(local_ts, tz) -%}
    timezone({{ tz }}, {{ local_ts }})
{%- endmacro %}

{% macro default__local_to_utc(local_ts, tz) -%}
    ({{ local_ts }} at time zone {{ tz }})
{%- endmacro %}

{#- UTC instant -> wall-clock (naive) timestamp in IANA zone `tz`. -#}
{% macro utc_to_local(ts, tz) -%}
    {{ return(adapter.dispatch('utc_to_local', 'itsm')(ts, tz)) }}
{%- endmacro %}

{% macro duckdb__utc_to_local(ts, tz) -%}
    timezone({{ tz }}, {{ ts }})
{%- endmacro %}

{% macro default__utc_to_local(ts, tz) -%}
    ({{ ts }} at time zone {{ tz }})
{%- endmacro %}

{#- ISO day of week of a date: 1 = Monday ... 7 = Sunday (the weekday convention of seeds/calendars.csv). -#}
{% macro iso_weekday(d) -%}
    {{ return(adapter.dispatch('iso_weekday', 'itsm')(d)) }}
{%- endmacro %}

{% macro duckdb__iso_weekday(d) -%}
    isodow({{ d }})
{%- endmacro %}

{% macro default__iso_weekday(d) -%}
    extract(isodow from {{ d }})
{%- endmacro %}

{#- One row per date from start_date to end_date inclusive, column `calendar_date`. -#}
{% macro date_rows(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_rows', 'itsm')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__date_rows(start_date, end_date) -%}
    select cast(range as date) as calendar_date
    from range(cast('{{ start_date }}' as date), cast('{{ end_date }}' as date) + 1, interval 1 day)
{%- endmacro %}

{% macro default__date_rows(start_date, end_date) -%}
    select cast(d as date) as calendar_date
    from generate_series(cast('{{ start_date }}' as date), cast('{{ end_date }}' as date), interval '1 day') as g (d)
{%- endmacro %}

{#- "HH:MM:SS" (hours may be 24) -> seconds after midnight. -#}
{% macro clock_text_to_seconds(text) -%}
    (cast(split_part({{ text }}, ':', 1) as integer) * 3600
    + cast(split_part({{ text }}, ':', 2) as integer) * 60
    + cast(coalesce(nullif(split_part({{ text }}, ':', 3), ''), '0') as integer))
{%- endmacro %}
