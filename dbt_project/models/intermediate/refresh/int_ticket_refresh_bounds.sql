{#- One row: which loads this run refreshes tickets for (macros/ticket_refresh.sql explains the scheme).
    refresh_after_load_id null = recompute every ticket. -#}
{%- set watermark = previous_build_of('int_ticket_refresh_watermark') -%}
{%- set missing = [] -%}
{%- for model_name in per_ticket_models() -%}
    {%- set built = previous_build_of(model_name) -%}
    {%- if built is none or not built.is_table -%}{%- do missing.append(model_name) -%}{%- endif -%}
{%- endfor -%}
-- Each seed row as text: the alias stands for the whole row (hence the AL05 exemptions).
with reference_lines as (
    select 'calendars|' || {{ row_as_text(ref('calendars'), 'c') }} as line from {{ ref('calendars') }} as c  -- noqa: AL05
    union all
    select 'holidays|' || {{ row_as_text(ref('holidays'), 'h') }} from {{ ref('holidays') }} as h  -- noqa: AL05
    union all
    select 'services|' || {{ row_as_text(ref('services'), 's') }} from {{ ref('services') }} as s  -- noqa: AL05
    union all
    select 'sla_policies|' || {{ row_as_text(ref('sla_policies'), 'p') }} from {{ ref('sla_policies') }} as p  -- noqa: AL05
    union all
    select
        'vars|{{ var("calendar_start_date") }}|{{ var("calendar_end_date") }}|{{ var("default_support_calendar") }}'
),

reference_data as (
    select md5({{ ordered_string_agg('line', 'chr(10)') }}) as reference_hash
    from reference_lines
),

loads as (
    select
        min(first_load_id) as first_load_id,
        max(last_load_id) as through_load_id
    from (
        select
            min(_load_id) as first_load_id,
            max(_load_id) as last_load_id
        from {{ source('raw', 'tickets') }}
        union all
        select
            min(_load_id) as first_load_id,
            max(_load_id) as last_load_id
        from {{ source('raw', 'ticket_events') }}
    ) as load_ids
),

previous as (
    {% if watermark is not none and not flags.FULL_REFRESH and missing | length == 0 -%}
        select
            coalesce(refreshed_through_load_id, 0) - {{ var('ticket_refresh_lookback_loads') }} as refresh_after,
            reference_hash
        from {{ watermark }}
        qualify row_number() over (order by refreshed_at desc) = 1
    {%- else -%}
        select
            cast(null as bigint) as refresh_after,
            cast(null as {{ dbt.type_string() }}) as reference_hash
    {%- endif %}
)

-- Every ticket is recomputed when every raw row is newer than the watermark (the first load after an empty
-- run, a backfill): the refresh set would hold every ticket anyway, and filtering by it costs more than it saves.
select
    l.through_load_id,
    case
        when p.reference_hash = r.reference_hash and l.first_load_id <= p.refresh_after then p.refresh_after
    end as refresh_after_load_id,
    r.reference_hash
from loads as l
cross join reference_data as r
left join previous as p on true
