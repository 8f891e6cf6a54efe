{#- Incremental refresh of the per-ticket models: the whole mechanism is this file and models/intermediate/refresh/.

    A per-ticket model holds rows that depend only on one ticket's own raw rows plus reference data. Its SQL reads
    its per-ticket inputs through refreshed_rows(); dbt_project.yml gives it materialized='per_ticket'. Then:
    - a run recomputes only the tickets in int_tickets_to_refresh: it deletes their rows and appends the new ones;
    - a run recomputes every ticket (a plain table build) when the table is missing, on --full-refresh, or when
      int_ticket_refresh_bounds says so (first build, reference data or clock vars changed, a backfill).
    Two scopes, set per model as meta refresh_scope in dbt_project.yml:
    - 'touched': tickets with raw rows from loads newer than the watermark. Inputs before as_of enters the SLA
      engine change only for these.
    - 'refreshed' (default): the touched tickets plus those whose SLA clock was running, whose business time and
      state move with as_of.
    int_ticket_refresh_watermark advances only after every per-ticket model is built, so a failed run is redone
    by the next one. -#}

{#- The per-ticket models, in build order. int_ticket_refresh_bounds recomputes every ticket when one is missing;
    int_ticket_refresh_watermark is built after all of them. tests/dbt/test_ticket_refresh.py checks this list
    against the models configured per_ticket. -#}
{% macro per_ticket_models() -%}
    {{ return([
        'stg_raw__tickets', 'int_ticket_events', 'int_ticket_state_intervals', 'int_ticket_sla_policy_periods',
        'int_ticket_sla_cycles', 'int_ticket_sla_spans', 'fct_sla_explain', 'fct_ticket_sla', 'fct_ticket_sla_outcome',
        'fct_incident',
    ]) }}
{%- endmacro %}

{#- `relation` limited to the tickets this run recomputes for the calling model's refresh_scope; the relation
    itself when the model is built whole. -#}
{% macro refreshed_rows(relation, ticket_column='ticket_id') -%}
    {#- ref() here, not only in the branch, so dbt records both edges at parse time -#}
    {%- set refresh = ref('int_tickets_to_refresh') -%}
    {%- do ref('int_ticket_refresh_bounds') -%}
    {%- if refreshes_some_tickets() -%}
        {%- set only_touched = config.get('meta', {}).get('refresh_scope', 'refreshed') == 'touched' -%}
        (
            select rows_in.*
            from {{ relation }} as rows_in
            inner join {{ refresh }} as refresh
                on rows_in.{{ ticket_column }} = refresh.ticket_id
            {%- if only_touched %}
            where refresh.is_touched
            {%- endif %}
        )
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- True when this run recomputes some tickets in place; false when the per-ticket models are built whole (the
    first build, --full-refresh, or whatever int_ticket_refresh_bounds decides). Asked at compile time so that a
    whole build carries no ticket filter at all. -#}
{% macro refreshes_some_tickets() -%}
    {%- if not execute or should_full_refresh() -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(adapter.dispatch('refreshes_some_tickets', 'itsm')()) }}
{%- endmacro %}

{% macro duckdb__refreshes_some_tickets() -%}
    {%- set bounds = previous_build_of('int_ticket_refresh_bounds') -%}
    {%- if bounds is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set result = run_query('select refresh_after_load_id is not null from ' ~ bounds) -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{#- Spark's Parquet tables cannot delete rows: the per-ticket models are rebuilt whole on every run. -#}
{% macro spark__refreshes_some_tickets() -%}
    {{ return(false) }}
{%- endmacro %}

{#- The existing relation of a model of this project, or none, read without ref(): the refresh models compare
    with the previous run's tables, which ref() would turn into a cycle, and the materialization reads the
    refresh set that the model's SQL already depends on. -#}
{% macro previous_build_of(model_name) -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] if execute else none -%}
    {{ return(adapter.get_relation(node.database, node.schema, node.alias) if node else none) }}
{%- endmacro %}

{#- Build a per-ticket model: in place for the tickets of this run (delete their rows, append the new ones), or
    whole, like a table. A changed column list stops the run: `itsm run --full-refresh` rebuilds it. -#}
{% materialization per_ticket, default %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- if refreshes_some_tickets() -%}
        {%- if existing_relation is none -%}
            {{ exceptions.raise_compiler_error(
                this.identifier ~ ' is missing while other per-ticket tables are refreshed in place; is it listed in '
                ~ 'per_ticket_models()? Rebuild with `itsm run --full-refresh`'
            ) }}
        {%- endif -%}
        {%- set new_rows = make_temp_relation(target_relation) -%}
        {{ drop_relation_if_exists(new_rows) }}
        {% call statement('new_rows') -%}
            {{ get_create_table_as_sql(True, new_rows, sql) }}
        {%- endcall %}
        {%- set columns = adapter.get_columns_in_relation(existing_relation) | map(attribute='name') | list -%}
        {%- set new_columns = adapter.get_columns_in_relation(new_rows) | map(attribute='name') | list -%}
        {%- if columns != new_columns -%}
            {{ exceptions.raise_compiler_error(
                this.identifier ~ ': its columns changed (' ~ columns | join(', ') ~ ' -> ' ~ new_columns | join(', ')
                ~ '); rebuild with `itsm run --full-refresh`'
            ) }}
        {%- endif -%}
        {%- set scope = config.get('meta', {}).get('refresh_scope', 'refreshed') -%}
        {% call statement('delete_refreshed') -%}
            delete from {{ target_relation }}
            where ticket_id in (
                select ticket_id from {{ previous_build_of('int_tickets_to_refresh') }}
                {%- if scope == 'touched' %} where is_touched{% endif %}
            )
        {%- endcall %}
        {% call statement('main') -%}
            insert into {{ target_relation }} ({{ columns | join(', ') }})
            select {{ columns | join(', ') }} from {{ new_rows }}
        {%- endcall %}
        {{ drop_relation_if_exists(new_rows) }}
        {%- set backup_relation = none -%}
    {%- else -%}
        {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
        {%- set backup_relation = make_backup_relation(target_relation, existing_relation.type if existing_relation else 'table') -%}
        {{ drop_relation_if_exists(intermediate_relation) }}
        {{ drop_relation_if_exists(backup_relation) }}
        {% call statement('main') -%}
            {{ get_create_table_as_sql(False, intermediate_relation, sql) }}
        {%- endcall %}
        {%- if existing_relation is not none -%}
            {{ adapter.rename_relation(existing_relation, backup_relation) }}
        {%- endif -%}
        {{ adapter.rename_relation(intermediate_relation, target_relation) }}
    {%- endif -%}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {%- if backup_relation is not none -%}
        {{ drop_relation_if_exists(backup_relation) }}
    {%- endif -%}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
