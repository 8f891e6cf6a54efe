{#- Every monthly KPI mart in one long table: one row per month x source mart x dimension values x KPI.
    Period close snapshots these rows and kpi_restatements compares them later, so both read one definition.
    Columns of each mart are classified from the built relation (macros/kpi_long.sql): the month column; numeric
    and boolean measures (KPIs; a boolean such as target_met becomes 1 / 0); everything else, plus the integer
    columns listed in var audit_integer_dimensions, as dimensions. Text `*_status` columns (RAG labels) and the
    columns in var audit_skipped_columns are left out. -#}
{#- refs outside `execute` so dbt records the dependencies at parse time -#}
{%- for mart in kpi_long_marts() %}
-- depends_on: {{ ref(mart) }}
{%- endfor %}

{%- set sources = [] -%}
{%- set branches = [] -%}
{%- for mart in (kpi_long_marts() if execute else []) -%}
    {%- set layout = kpi_long_layout(mart) -%}
    {%- if layout is mapping and layout.measures -%}
        {%- set cte = 'source_' ~ loop.index -%}
        {%- do sources.append(
            cte ~ " as (" ~ kpi_long_source_rows(mart, layout) ~ ")"
        ) -%}
        {%- for measure in layout.measures -%}
            {%- do branches.append(
                "select period_month, source_mart, dimension_key, '" ~ measure ~ "' as kpi, cast(" ~ measure
                ~ " as double) as kpi_value from " ~ cte
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endfor %}

{%- if branches %}
    with {{ sources | join(',\n') }}
    {{ branches | join('\nunion all\n') }}
{%- else %}
    select
        cast(null as date) as period_month,
        cast(null as {{ dbt.type_string() }}) as source_mart,
        cast(null as {{ dbt.type_string() }}) as dimension_key,
        cast(null as {{ dbt.type_string() }}) as kpi,
        cast(null as double) as kpi_value
    where false
{%- endif %}
