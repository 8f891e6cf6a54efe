{#- kpi_monthly_long: every monthly KPI mart unpivoted to one row per month x source mart x dimension values x
    KPI. These macros classify each mart's columns from the built relation. -#}

{#- The monthly KPI marts it unpivots. -#}
{% macro kpi_long_marts() -%}
    {{ return([
        'kpi_incident_monthly', 'kpi_change_monthly', 'kpi_availability_monthly', 'kpi_satisfaction_monthly',
        'kpi_service_monthly',
    ]) }}
{%- endmacro %}

{#- The month column, dimensions (sorted) and measures of a mart, classified from the built relation: numeric
    and boolean columns are KPIs (a boolean such as target_met becomes 1 / 0); everything else, plus the
    integer columns in var audit_integer_dimensions, are dimensions. Text `*_status` columns (RAG labels,
    derived from value and target, both kept) and var audit_skipped_columns (pointers to other rows) are left
    out. None before execution (parsing) and for a mart not built yet. -#}
{% macro kpi_long_layout(mart) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set month_columns = ['month', 'period_month', 'month_start', 'period_start'] -%}
    {%- set integer_dimensions = var('audit_integer_dimensions', ['priority', 'tier', 'impact', 'urgency', 'year']) -%}
    {%- set skipped_columns = var('audit_skipped_columns', ['previous_month']) -%}
    {%- set numeric_prefixes = ['DOUBLE', 'FLOAT', 'REAL', 'DECIMAL', 'NUMERIC', 'HUGEINT', 'BIGINT', 'INTEGER',
        'INT', 'SMALLINT', 'TINYINT', 'UBIGINT', 'UINTEGER', 'USMALLINT', 'UTINYINT', 'BOOLEAN'] -%}
    {%- set month_column = [] -%}
    {%- set dimensions = [] -%}
    {%- set measures = [] -%}
    {%- set columns = adapter.get_columns_in_relation(ref(mart)) -%}
    {#- Not built yet (dbt docs generate or compile on a warehouse without the marts): nothing to unpivot. -#}
    {%- if not columns -%}{{ return(none) }}{%- endif -%}
    {%- for column in columns -%}
        {%- set name = column.name | lower -%}
        {%- set dtype = column.dtype | upper -%}
        {%- set ns = namespace(numeric=false) -%}
        {%- for prefix in numeric_prefixes -%}
            {%- if dtype.startswith(prefix) -%}{%- set ns.numeric = true -%}{%- endif -%}
        {%- endfor -%}
        {%- if name in month_columns and not month_column -%}
            {%- do month_column.append(name) -%}
        {%- elif name.endswith('_status') or name in skipped_columns -%}
            {#- not unpivoted -#}
        {%- elif ns.numeric and name not in integer_dimensions -%}
            {%- do measures.append(name) -%}
        {%- else -%}
            {%- do dimensions.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not month_column -%}
        {{ exceptions.raise_compiler_error(mart ~ ': no month column (one of ' ~ month_columns | join(', ') ~ ')') }}
    {%- endif -%}
    {{ return({'month': month_column[0], 'dimensions': dimensions | sort, 'measures': measures}) }}
{%- endmacro %}

{#- The row's dimension values, `name=value` joined by `|` in column-name order (empty value = null). -#}
{% macro kpi_long_dimension_key(layout) -%}
    {%- set key_parts = [] -%}
    {%- for dim in layout.dimensions -%}
        {%- do key_parts.append("'" ~ dim ~ "=' || coalesce(cast(" ~ dim ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- endfor -%}
    {{ key_parts | join(" || '|' || ") if key_parts else "''" }}
{%- endmacro %}

{#- Per mart and row: source_mart, period_month, dimension_key and the row's measures (own column names). -#}
{% macro kpi_long_source_rows(mart, layout) -%}
    select
        '{{ mart }}' as source_mart,
        cast({{ layout.month }} as date) as period_month,
        {{ kpi_long_dimension_key(layout) }} as dimension_key
        {%- for measure in layout.measures %},
        {{ measure }}
        {%- endfor %}
    from {{ ref(mart) }}
{%- endmacro %}
