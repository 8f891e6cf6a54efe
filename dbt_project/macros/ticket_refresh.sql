-- noqa: disable=LT02
-- (sqlfluff renders this file's jinja branches as SQL variants and misreads their indentation.)
{#- Incremental refresh of the per-ticket models (the SLA chain and fct_incident).

    Every per-ticket model depends only on the ticket's own rows plus reference data, so a run recomputes
    just the tickets in int_tickets_to_refresh, deleting their old rows first (so rows that vanish go too)
    and appending the new ones. Two scopes:
    - 'touched': tickets with raw rows from loads newer than the watermark (minus var
      ticket_refresh_lookback_loads). Only their inputs changed, so the models up to the SLA spans recompute
      just these.
    - 'refreshed' (the default): the touched tickets plus those with a running SLA clock, whose business time
      and SLA state move with as_of. The models from fct_sla_explain on, where as_of enters, recompute these.
    Everything is recomputed when a per-ticket table is missing, the reference data or clock vars changed,
    there is no watermark yet, or dbt runs with --full-refresh. int_ticket_refresh_watermark advances only
    after every per-ticket model is built, so a failed run is simply redone by the next one. -#}

{#- The models this scheme refreshes, in build order: the per-ticket models, then the incident KPI tables
    and the per-incident keys they last saw (macros/incident_kpis.sql). int_ticket_refresh_watermark depends
    on all of them; a missing one makes the run recompute everything. -#}
{% macro ticket_refresh_models() -%}
    {{ return([
        'int_latest_tickets', 'int_ticket_events', 'int_ticket_state_intervals', 'int_ticket_sla_policy_periods',
        'int_ticket_sla_cycles', 'int_ticket_sla_spans', 'fct_sla_explain', 'fct_ticket_sla',
        'int_ticket_sla_outcome', 'fct_incident', 'kpi_incident_daily', 'kpi_incident_monthly',
        'int_incident_kpi_keys', 'int_backlog_incidents', 'fct_survey', 'int_satisfaction_kpi_keys',
    ]) }}
{%- endmacro %}

{#- The materialization of every per-ticket model: append the recomputed tickets (of scope 'touched' or
    'refreshed') after deleting their rows. on_schema_change='fail': a changed model needs
    `itsm run --full-refresh` rather than a silent guess. -#}
{% macro per_ticket_model(scope='refreshed') -%}
    {{ delete_then_append_model("is_refreshed_ticket('ticket_id', '" ~ scope ~ "')") }}
{%- endmacro %}

{#- An incremental model that deletes the rows it recomputes (a pre_hook) and appends the new ones; shared by the
    per-ticket models, the incident and satisfaction KPI tables, fct_survey and kpi_monthly_long. rows_to_delete:
    a Jinja expression for the condition on the model's rows, rendered by the hook at run time. -#}
{% macro delete_then_append_model(rows_to_delete) -%}
    {#- should_full_refresh() below reads int_ticket_refresh_bounds at run time: record that edge at parse time. -#}
    {%- do ref('int_ticket_refresh_bounds') -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_rows_when_incremental(" ~ rows_to_delete ~ ") }}",
    ) }}
{%- endmacro %}

{#- dbt's should_full_refresh (global project, configs.sql), overridden here: a model of this scheme is also
    rebuilt from scratch when the run recomputes every ticket. dbt then writes its table once (create, then swap)
    instead of building a temporary copy, deleting every old row and inserting the copy; is_incremental() is false,
    so the delete hooks and ticket filters drop out, and a changed column list needs no --full-refresh. -#}
{% macro should_full_refresh() -%}
    {%- set config_full_refresh = config.get('full_refresh') -%}
    {%- if config_full_refresh is none -%}
        {%- set config_full_refresh = flags.FULL_REFRESH -%}
    {%- endif -%}
    {%- if not config_full_refresh and model.name in ticket_refresh_models() -%}
        {%- set config_full_refresh = refreshes_every_ticket() -%}
    {%- endif -%}
    {{ return(config_full_refresh) }}
{%- endmacro %}

{#- The existing relation of a model of this project, or none (read without ref(), so without a graph edge:
    the refresh set looks at the previous run's tables, which ref() would turn into a cycle). -#}
{% macro existing_model_relation(model_name) -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] if execute else none -%}
    {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) if node else none -%}
    {{ return(relation) }}
{%- endmacro %}

{#- True when this run recomputes every ticket (int_ticket_refresh_bounds, already built in this run). Asked
    at compile time so that a full recompute skips the ticket filters altogether: semi-joins against a
    million-row refresh set cost more than the work they select (and upset DuckDB's join planning). -#}
{% macro refreshes_every_ticket() -%}
    {%- set bounds = ref('int_ticket_refresh_bounds') -%}
    {#- Not built yet (dbt compile / docs generate on a new warehouse): nothing to filter against. -#}
    {%- set built = load_relation(bounds) if execute else none -%}
    {%- set result = run_query('select refresh_after_load_id is null from ' ~ bounds) if built else none -%}
    {{ return(result.columns[0].values()[0] if result else true) }}
{%- endmacro %}

{#- Condition for reading a per-ticket table: only the tickets of this run's scope ('refreshed' or 'touched'). -#}
{% macro is_refreshed_ticket(ticket_column, scope='refreshed') -%}
    {%- set refresh = ref('int_tickets_to_refresh') -%}
    {%- if scope not in ('refreshed', 'touched') -%}
        {{ exceptions.raise_compiler_error("is_refreshed_ticket: scope must be 'refreshed' or 'touched', not " ~ scope) }}
    {%- endif -%}
    {%- if not refreshes_every_ticket() -%}
        {{ ticket_column }} in (
            select ticket_id from {{ refresh }}{% if scope == 'touched' %} where is_touched{% endif %}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- `with x as {{ materialized_when_refreshing() }} (...)` for a CTE that filters a per-ticket table: DuckDB
    plans range joins over a semi-join filter as if every ticket came through (1.6 s instead of 0.27 s for 5 % of
    1M tickets in int_ticket_sla_spans), so the filtered rows are materialized first. On a full recompute there
    is no filter and materializing would only cost time. -#}
{% macro materialized_when_refreshing() -%}
    {{ return(adapter.dispatch('materialized_when_refreshing', 'itsm')()) }}
{%- endmacro %}

{% macro duckdb__materialized_when_refreshing() -%}
    {{ return('' if refreshes_every_ticket() else 'materialized') }}
{%- endmacro %}

{#- Engines without CTE materialization hints: plain CTEs. -#}
{% macro default__materialized_when_refreshing() -%}
    {{ return('') }}
{%- endmacro %}

{#- pre_hook of every delete-then-append model: on an incremental build, drop the rows about to be recomputed (a
    build from scratch writes the table anew). -#}
{% macro delete_rows_when_incremental(condition) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ condition }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
