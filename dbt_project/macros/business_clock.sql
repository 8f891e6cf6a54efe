{#- The business clock: B(t) = business seconds of a calendar elapsed since the start of
    int_calendar_business_segments' range, so business time between a and b is B(b) - B(a).

    Use from any model (one lookup per timestamp, no per-day explosion):

        select ..., {{ business_clock_at('clk', 'x.opened_at') }} as b_opened
        from x
        {{ business_clock_join('clk', 'x.calendar_id', 'x.opened_at') }}

    B(t) is null when t is null or outside var calendar_start_date..calendar_end_date.
    Several timestamps of one row need one join each, with distinct aliases; for millions of rows it is
    faster to stack the timestamps into one column, join once and pivot back. -#}

{% macro business_clock_join(alias, calendar_expr, ts_expr) -%}
    {{ return(adapter.dispatch('business_clock_join', 'itsm')(alias, calendar_expr, ts_expr)) }}
{%- endmacro %}

{#- ASOF: the last segment of the calendar starting at or before t (segments tile the range). -#}
{% macro duckdb__business_clock_join(alias, calendar_expr, ts_expr) -%}
    asof left join {{ ref('int_calendar_business_segments') }} as {{ alias }}
        on {{ calendar_expr }} = {{ alias }}.calendar_id
        and {{ ts_expr }} >= {{ alias }}.segment_start_utc
{%- endmacro %}

{#- Portable range join (slower; engines without ASOF). -#}
{% macro default__business_clock_join(alias, calendar_expr, ts_expr) -%}
    left join {{ ref('int_calendar_business_segments') }} as {{ alias }}
        on {{ calendar_expr }} = {{ alias }}.calendar_id
        and {{ ts_expr }} >= {{ alias }}.segment_start_utc
        and {{ ts_expr }} < {{ alias }}.segment_end_utc
{%- endmacro %}

{#- B(t) in seconds (double) for the segment joined as `alias`. -#}
{% macro business_clock_at(alias, ts_expr) -%}
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

{% macro default__business_clock_inverse_join(alias, calendar_expr, b_expr) -%}
    left join (
        select
            calendar_id, segment_start_utc, segment_end_utc, cum_business_seconds_at_start,
            cum_business_seconds_at_start
            + {{ epoch_seconds('segment_end_utc') }} - {{ epoch_seconds('segment_start_utc') }} as cum_at_end
        from {{ ref('int_calendar_business_segments') }}
        where is_business
    ) as {{ alias }}
        on {{ calendar_expr }} = {{ alias }}.calendar_id
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
