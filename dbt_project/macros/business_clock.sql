{#- The business clock: B(t) = business seconds of a calendar elapsed since the start of
    int_calendar_business_segments' range, so business time between a and b is B(b) - B(a).

    Use from any model (one lookup per timestamp, no per-day explosion):

        select ..., {{ business_clock_at('clk', 'x.opened_at') }} as b_opened
        from x
        {{ business_clock_join('clk', 'x.calendar_id', 'x.opened_at') }}

    B(t) is null when t is null or outside var calendar_start_date..calendar_end_date (on DuckDB, up to the end of
    the UTC hour holding the range end). duckdb__ versions use the hour buckets and ASOF joins, spark__ versions
    equi-join on a day bucket, then test the range.
    Several timestamps of one row need one join each, with distinct aliases; for millions of rows it is
    faster to stack the timestamps into one column, join once and pivot back. -#}

{% macro business_clock_join(alias, calendar_expr, ts_expr) -%}
    {{ return(adapter.dispatch('business_clock_join', 'itsm')(alias, calendar_expr, ts_expr)) }}
{%- endmacro %}

{#- One equi-join on (calendar, UTC hour of t) into int_calendar_clock_hours. -#}
{% macro duckdb__business_clock_join(alias, calendar_expr, ts_expr) -%}
    left join {{ ref('int_calendar_clock_hours') }} as {{ alias }}
        on {{ calendar_expr }} = {{ alias }}.calendar_id
        and {{ alias }}.hour_bucket = epoch_us({{ ts_expr }}) // 3600000000
{%- endmacro %}

{#- Range join on the segments, narrowed by an equi-join on the UTC day (int_calendar_segment_days). -#}
{% macro spark__business_clock_join(alias, calendar_expr, ts_expr) -%}
    left join {{ ref('int_calendar_segment_days') }} as {{ alias }}
        on {{ calendar_expr }} = {{ alias }}.calendar_id
        and {{ alias }}.utc_day = {{ utc_date(ts_expr) }}
        and {{ ts_expr }} >= {{ alias }}.segment_start_utc
        and {{ ts_expr }} < {{ alias }}.segment_end_utc
{%- endmacro %}

{#- B(t) in seconds (double) for the row joined as `alias` by business_clock_join. -#}
{% macro business_clock_at(alias, ts_expr) -%}
    {{ return(adapter.dispatch('business_clock_at', 'itsm')(alias, ts_expr)) }}
{%- endmacro %}

{#- B at the start of t's hour + 60 s per business minute of the hour before t's minute + the seconds into
    t's minute when that minute is business time. Parenthesized: callers write B(b) - B(a) in one expression. -#}
{% macro duckdb__business_clock_at(alias, ts_expr) -%}
    {%- set minute = 'cast((epoch_us(' ~ ts_expr ~ ') // 60000000) % 60 as integer)' -%}
    (
        {{ alias }}.cum_business_seconds_at_hour
        + 60 * cast(bit_count({{ alias }}.business_minute_mask & ((cast(1 as ubigint) << {{ minute }}) - 1)) as bigint)
        + case
            when ({{ alias }}.business_minute_mask >> {{ minute }}) & 1 = 1
                then (epoch_us({{ ts_expr }}) % 60000000) / 1000000.0
            else 0
        end
    )
{%- endmacro %}

{% macro spark__business_clock_at(alias, ts_expr) -%}
    case
        when {{ ts_expr }} < {{ alias }}.segment_end_utc
            then {{ alias }}.cum_business_seconds_at_start
            + case
                when {{ alias }}.is_business
                    then {{ epoch_seconds(ts_expr) }} - {{ epoch_seconds(alias ~ '.segment_start_utc') }}
                else 0
            end
    end
{%- endmacro %}

{#- Inverse clock: the instant the clock passes b, i.e. the latest t with B(t) = b, after which B(t) > b.
    (When b is reached exactly at a closing time, the clock passes it when business resumes.) This is the
    breach instant of an SLA: elapsed > target from then on. Joins the last business segment of the
    calendar whose cumulative start is at or below b. -#}
{% macro business_clock_inverse_join(alias, calendar_expr, b_expr) -%}
    {{ return(adapter.dispatch('business_clock_inverse_join', 'itsm')(alias, calendar_expr, b_expr)) }}
{%- endmacro %}

{% macro duckdb__business_clock_inverse_join(alias, calendar_expr, b_expr) -%}
    asof left join (
        select calendar_id, segment_start_utc, segment_end_utc, cum_business_seconds_at_start
        from {{ ref('int_calendar_business_segments') }}
        where is_business
    ) as {{ alias }}
        on {{ calendar_expr }} = {{ alias }}.calendar_id
        and {{ b_expr }} >= {{ alias }}.cum_business_seconds_at_start
{%- endmacro %}

{#- Range join on the business segments' cumulative seconds, narrowed by an equi-join on b's whole day of business
    seconds (b_day = floor(b / 86400); each segment listed under every b_day it spans). -#}
{% macro spark__business_clock_inverse_join(alias, calendar_expr, b_expr) -%}
    left join (
        select
            calendar_id, segment_start_utc, segment_end_utc, cum_business_seconds_at_start, cum_at_end,
            explode(sequence(
                cast(floor(cum_business_seconds_at_start / 86400) as bigint), cast(floor(cum_at_end / 86400) as bigint)
            )) as b_day
        from (
            select
                calendar_id, segment_start_utc, segment_end_utc, cum_business_seconds_at_start,
                cum_business_seconds_at_start
                + {{ epoch_seconds('segment_end_utc') }} - {{ epoch_seconds('segment_start_utc') }} as cum_at_end
            from {{ ref('int_calendar_business_segments') }}
            where is_business
        ) as business_segments
    ) as {{ alias }}
        on {{ calendar_expr }} = {{ alias }}.calendar_id
        and {{ alias }}.b_day = cast(floor(({{ b_expr }}) / 86400) as bigint)
        and {{ b_expr }} >= {{ alias }}.cum_business_seconds_at_start
        and {{ b_expr }} < {{ alias }}.cum_at_end
{%- endmacro %}

{#- The instant for the inverse segment joined as `alias`; null beyond the calendar range. -#}
{% macro business_clock_instant(alias, b_expr) -%}
    case
        when {{ b_expr }} - {{ alias }}.cum_business_seconds_at_start
            <= {{ epoch_seconds(alias ~ '.segment_end_utc') }} - {{ epoch_seconds(alias ~ '.segment_start_utc') }}
            then {{ add_seconds(alias ~ '.segment_start_utc', b_expr ~ ' - ' ~ alias ~ '.cum_business_seconds_at_start') }}
    end
{%- endmacro %}
