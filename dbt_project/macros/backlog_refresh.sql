{#- Incremental refresh of fct_backlog_daily (open incidents per local day, service and priority).

    Every backlog column is a sum over incidents (each incident adds +1 / -1 marks where it enters and leaves an
    age bucket, and its opened / resolved flows), so a run need not re-read every incident: it takes the previous
    rows and adds what changed.
    - int_backlog_incidents keeps, per incident, the columns the backlog read last time (service, priority,
      opened_at, ended_at); built after fct_backlog_daily, like int_incident_kpi_keys after the KPI tables.
    - int_backlog_changes: the touched incidents (macros/ticket_refresh.sql) whose columns differ now; their
      old version counts -1, their new one +1.
    - fct_backlog_daily: previous rows + the changes' marks, up to the previous last day; the days after it (the
      as_of day moved on) from every incident that can have a mark there. A group (service, priority) whose
      first row moved before its previous first row is rebuilt from its incidents.
    - int_backlog_daily_checksum: checksum of fct_backlog_daily, taken after int_backlog_incidents was rebuilt.
      Applying differences twice would double them, so the previous rows are used only when their checksum
      still matches (a run that failed between fct_backlog_daily and int_backlog_incidents, or anything else
      that left the two out of step, makes the next run rebuild the backlog from every incident).
    Everything is rebuilt when the per-ticket models recompute every ticket. -#}

{#- When an incident leaves the backlog: resolved, else closed / cancelled unresolved (at closed_at, or at the
    opening when a cancelled ticket has no closing time). -#}
{% macro backlog_ended_at() -%}
    coalesce(
        resolved_at,
        case when state in ('closed', 'cancelled') then coalesce(closed_at, opened_at) end
    )
{%- endmacro %}

{#- Per incident, what the backlog reads of it (the raw service: the zone is looked up from it). -#}
{% macro backlog_incident_columns() -%}
    select
        ticket_id,
        service,
        priority,
        opened_at,
        {{ backlog_ended_at() }} as ended_at
    from {{ ref('fct_incident') }}
{%- endmacro %}

{#- One value that changes whenever a row of fct_backlog_daily changes (row count and an order-independent sum
    of row hashes). -#}
{% macro backlog_checksum() -%}
    {{ return(adapter.dispatch('backlog_checksum', 'itsm')()) }}
{%- endmacro %}

{%- macro backlog_columns() -%}
    {{ return(['calendar_date', 'service', 'priority', 'open_incidents', 'open_age_0_1', 'open_age_2_5',
        'open_age_6_30', 'open_age_31_90', 'open_age_over_90', 'opened', 'resolved', 'backlog_growth']) }}
{%- endmacro -%}

{% macro duckdb__backlog_checksum() -%}
    cast(count(*) as varchar) || '/' || cast(coalesce(sum(hash({{ backlog_columns() | join(', ') }})), 0) as varchar)
{%- endmacro %}

{% macro default__backlog_checksum() -%}
    cast(count(*) as {{ dbt.type_string() }}) || '/' || md5({{ dbt.listagg(
        tuple_key(backlog_columns()), "','", 'order by ' ~ tuple_key(backlog_columns())
    ) }})
{%- endmacro %}
