{#- Small SQL pieces whose spelling differs between engines: duckdb__ (the default engine) and spark__ (the
    `spark` target: Spark SQL, as Databricks runs it). Spark timestamps are instants read in the session time
    zone, which the spark profile sets to UTC. -#}

{#- The type of an instant: timestamptz on DuckDB, timestamp (local-time-zone instant) on Spark. -#}
{% macro type_instant() -%}
    {{ return(adapter.dispatch('type_instant', 'itsm')()) }}
{%- endmacro %}

{% macro duckdb__type_instant() -%}
    timestamp with time zone
{%- endmacro %}

{% macro spark__type_instant() -%}
    timestamp
{%- endmacro %}

{#- Values joined by `separator` in ascending order, nulls left out (null when none is left), optionally distinct. -#}
{% macro ordered_string_agg(expr, separator, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'itsm')(expr, separator, distinct)) }}
{%- endmacro %}

{% macro duckdb__ordered_string_agg(expr, separator, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expr }}, {{ separator }} order by {{ expr }})
{%- endmacro %}

{% macro spark__ordered_string_agg(expr, separator, distinct) -%}
    nullif(array_join(array_sort({{ 'collect_set' if distinct else 'collect_list' }}({{ expr }})), {{ separator }}), '')
{%- endmacro %}

{#- Every column of `relation` (read as `alias`) as one text, `|`-separated in column order: a row's fingerprint. -#}
{% macro row_as_text(relation, alias) -%}
    {{ return(adapter.dispatch('row_as_text', 'itsm')(relation, alias)) }}
{%- endmacro %}

{% macro duckdb__row_as_text(relation, alias) -%}
    cast({{ alias }} as varchar)
{%- endmacro %}

{% macro spark__row_as_text(relation, alias) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    concat_ws('|'
    {%- for column in columns -%}
        , coalesce(cast({{ alias }}.{{ column.name }} as string), 'NULL')
    {%- endfor -%})
{%- endmacro %}

{#- Seconds since 1970-01-01 UTC of a timestamp with time zone, as a double (fractions kept). -#}
{% macro epoch_seconds(ts) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'itsm')(ts)) }}
{%- endmacro %}

{% macro duckdb__epoch_seconds(ts) -%}
    epoch({{ ts }})
{%- endmacro %}

{% macro spark__epoch_seconds(ts) -%}
    (unix_micros({{ ts }}) / 1e6)
{%- endmacro %}

{#- A timestamp plus a (possibly fractional) number of seconds, to the microsecond. -#}
{% macro add_seconds(ts, seconds) -%}
    {{ return(adapter.dispatch('add_seconds', 'itsm')(ts, seconds)) }}
{%- endmacro %}

{% macro duckdb__add_seconds(ts, seconds) -%}
    ({{ ts }} + to_microseconds(cast(round(({{ seconds }}) * 1000000.0) as bigint)))
{%- endmacro %}

{% macro spark__add_seconds(ts, seconds) -%}
    timestamp_micros(unix_micros({{ ts }}) + cast(round(({{ seconds }}) * 1e6) as bigint))
{%- endmacro %}

{#- Wall-clock (naive) timestamp read in IANA zone `tz` -> the UTC instant. One rule on every engine, the one
    ingestion applies to naive export timestamps (pipelines/ingest/validate.py; DECISIONLOG.md): a wall time that
    does not exist (spring-forward gap) moves forward by the gap (02:30 New York on the spring-forward day = 03:30
    EDT); an ambiguous wall time (fall-back repeat) is its later, standard-time occurrence (01:30 New York on
    2026-11-01 = 06:30 UTC). -#}
{% macro local_to_utc(local_ts, tz) -%}
    {{ return(adapter.dispatch('local_to_utc', 'itsm')(local_ts, tz)) }}
{%- endmacro %}

{% macro duckdb__local_to_utc(local_ts, tz) -%}
    timezone({{ tz }}, {{ local_ts }})
{%- endmacro %}

{#- to_utc_timestamp gives the gap rule but the earlier occurrence of an ambiguous time; the later one is the wall
    time less the offset in force a few hours after it, taken when it reads back as the same wall time. -#}
{% macro spark__local_to_utc(local_ts, tz) -%}
    {%- set earlier = 'to_utc_timestamp(' ~ local_ts ~ ', ' ~ tz ~ ')' -%}
    {%- set probe = earlier ~ ' + interval 3 hours' -%}
    {%- set later = 'timestamp_micros(unix_micros(' ~ local_ts ~ ') - (unix_micros(from_utc_timestamp(' ~ probe
        ~ ', ' ~ tz ~ ')) - unix_micros(' ~ probe ~ ')))' -%}
    case
        when from_utc_timestamp({{ later }}, {{ tz }}) = {{ local_ts }} then {{ later }}
        else {{ earlier }}
    end
{%- endmacro %}

{#- UTC instant -> wall-clock (naive) timestamp in IANA zone `tz`. -#}
{% macro utc_to_local(ts, tz) -%}
    {{ return(adapter.dispatch('utc_to_local', 'itsm')(ts, tz)) }}
{%- endmacro %}

{% macro duckdb__utc_to_local(ts, tz) -%}
    timezone({{ tz }}, {{ ts }})
{%- endmacro %}

{% macro spark__utc_to_local(ts, tz) -%}
    from_utc_timestamp({{ ts }}, {{ tz }})
{%- endmacro %}

{#- ISO day of week of a date: 1 = Monday ... 7 = Sunday (the weekday convention of seeds/calendars.csv). -#}
{% macro iso_weekday(d) -%}
    {{ return(adapter.dispatch('iso_weekday', 'itsm')(d)) }}
{%- endmacro %}

{% macro duckdb__iso_weekday(d) -%}
    isodow({{ d }})
{%- endmacro %}

{% macro spark__iso_weekday(d) -%}
    (weekday({{ d }}) + 1)
{%- endmacro %}

{#- One row per date from start_date to end_date inclusive, column `calendar_date`. -#}
{% macro date_rows(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_rows', 'itsm')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__date_rows(start_date, end_date) -%}
    select cast(range as date) as calendar_date
    from range(cast('{{ start_date }}' as date), cast('{{ end_date }}' as date) + 1, interval 1 day)
{%- endmacro %}

{% macro spark__date_rows(start_date, end_date) -%}
    select explode(sequence(cast('{{ start_date }}' as date), cast('{{ end_date }}' as date), interval 1 day))
        as calendar_date
{%- endmacro %}

{#- "HH:MM:SS" (hours may be 24) -> seconds after midnight. -#}
{% macro clock_text_to_seconds(text) -%}
    (cast(split_part({{ text }}, ':', 1) as integer) * 3600
    + cast(split_part({{ text }}, ':', 2) as integer) * 60
    + cast(coalesce(nullif(split_part({{ text }}, ':', 3), ''), '0') as integer))
{%- endmacro %}

{#- An instant as text the way DuckDB prints a timestamptz in a UTC session: 2026-01-05 09:00:00[.ffffff]+00. -#}
{% macro instant_text(ts) -%}
    {{ return(adapter.dispatch('instant_text', 'itsm')(ts)) }}
{%- endmacro %}

{% macro duckdb__instant_text(ts) -%}
    cast({{ ts }} as varchar)
{%- endmacro %}

{% macro spark__instant_text(ts) -%}
    concat(
        date_format({{ ts }}, 'yyyy-MM-dd HH:mm:ss'),
        case
            when unix_micros({{ ts }}) % 1000000 <> 0 then regexp_replace(date_format({{ ts }}, '.SSSSSS'), '0+$', '')
            else ''
        end,
        '+00'
    )
{%- endmacro %}
