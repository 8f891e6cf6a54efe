-- noqa: disable=LT02
-- (sqlfluff renders this file's jinja branches as SQL variants and misreads their indentation.)
{#- The KPI groups an aggregate of the incremental scheme (macros/ticket_refresh.sql) recomputes, for
    int_incident_kpi_changes and int_satisfaction_kpi_changes. now_seen: SQL of this run's refreshed rows;
    seen_model: the keys model holding the same rows as the KPI table last saw them (read as the previous run left
    it, without ref()), taken where is_refreshed (a condition) holds. Both have id_column, one group key column per
    period and inputs_key. A row that appeared, vanished, moved group or changed a KPI input changes its old and its
    new group. period_keys: period name -> group key column. One row per changed (period, group_key); none when
    every ticket is recomputed or nothing was seen yet: the KPI table is then rebuilt whole.
    In a file of its own: sqlfluff's stand-in for dbt's return() fails when a macro calls one of the same file. -#}
{% macro changed_kpi_groups(id_column, period_keys, now_seen, seen_model, is_refreshed) -%}
    {%- set seen = existing_model_relation(seen_model) -%}
    {%- if refreshes_every_ticket() or seen is none -%}
    select
        cast(null as varchar) as period,
        {{ tuple_key(["'none'"]) }} as group_key
    where false
    {%- else -%}
    with now_seen as (
        {{ now_seen }}
    ),

    last_seen as (
        select * from {{ seen }}
        where {{ is_refreshed }}
    ),

    changed as (
        select
            {%- for key in period_keys.values() %}
                n.{{ key }} as new_{{ key }},
                o.{{ key }} as old_{{ key }}{{ ',' if not loop.last }}
            {%- endfor %}
        from now_seen as n
        full outer join last_seen as o on n.{{ id_column }} = o.{{ id_column }}
        where
            n.{{ id_column }} is null
            or o.{{ id_column }} is null
            {%- for key in period_keys.values() %}
                or n.{{ key }} != o.{{ key }}
            {%- endfor %}
            or n.inputs_key != o.inputs_key
    ),

    keys as (
        {%- for period, key in period_keys.items() %}
            select
                '{{ period }}' as period,
                new_{{ key }} as group_key
            from changed

            union

            select
                '{{ period }}' as period,
                old_{{ key }} as group_key
            from changed
            {%- if not loop.last %}

            union
            {% endif %}
        {%- endfor %}
    )

    select
        period,
        group_key
    from keys
    where group_key is not null
    {%- endif %}
{%- endmacro %}
