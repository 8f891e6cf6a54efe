{#- Every monthly KPI mart in one long table: one row per month x source mart x dimension values x KPI.
    Period close snapshots these rows and kpi_restatements compares them later, so both read one definition.
    Columns of each mart are classified from the built relation: the month column; numeric and boolean
    measures (KPIs; a boolean such as target_met becomes 1 / 0); everything else, plus the integer columns
    listed in var audit_integer_dimensions, as dimensions. Text `*_status` columns (RAG labels) and the columns
    in var audit_skipped_columns are left out. -#}
{%- set kpi_marts = [
    'kpi_incident_monthly', 'kpi_change_monthly', 'kpi_availability_monthly', 'kpi_satisfaction_monthly',
    'kpi_service_monthly'
] -%}
{%- set month_columns = ['month', 'period_month', 'month_start', 'period_start'] -%}
{%- set integer_dimensions = var('audit_integer_dimensions', ['priority', 'tier', 'impact', 'urgency', 'year']) -%}
{#- Derived labels (RAG `*_status`, follow from value and target, both kept) and pointers to other rows. -#}
{%- set skipped_columns = var('audit_skipped_columns', ['previous_month']) -%}
{%- set numeric_prefixes = ['DOUBLE', 'FLOAT', 'REAL', 'DECIMAL', 'NUMERIC', 'HUGEINT', 'BIGINT', 'INTEGER',
    'INT', 'SMALLINT', 'TINYINT', 'UBIGINT', 'UINTEGER', 'USMALLINT', 'UTINYINT', 'BOOLEAN'] -%}

{#- refs outside `execute` so dbt records the dependencies at parse time -#}
{%- for mart in kpi_marts %}
-- depends_on: {{ ref(mart) }}
{%- endfor %}

{%- set branches = [] -%}
{%- if execute and adapter.get_columns_in_relation is defined -%}
    {%- for mart in kpi_marts -%}
        {%- set relation = ref(mart) -%}
        {%- set month_column = [] -%}
        {%- set dimensions = [] -%}
        {%- set measures = [] -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- set name = column.name | lower -%}
            {%- set dtype = column.dtype | upper -%}
            {%- set ns = namespace(numeric=false) -%}
            {%- for prefix in numeric_prefixes -%}
                {%- if dtype.startswith(prefix) -%}{%- set ns.numeric = true -%}{%- endif -%}
            {%- endfor -%}
            {%- if name in month_columns and not month_column -%}
                {%- do month_column.append(name) -%}
            {%- elif name.endswith('_status') or name in skipped_columns -%}
                {#- not snapshotted -#}
            {%- elif ns.numeric and name not in integer_dimensions -%}
                {%- do measures.append(name) -%}
            {%- else -%}
                {%- do dimensions.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set key_parts = [] -%}
        {%- for dim in dimensions | sort -%}
            {%- do key_parts.append("'" ~ dim ~ "=' || coalesce(cast(" ~ dim ~ " as varchar), '')") -%}
        {%- endfor -%}
        {%- set dimension_key = key_parts | join(" || '|' || ") if key_parts else "''" -%}
        {%- for measure in measures -%}
            {%- do branches.append(
                "select cast(" ~ month_column[0] ~ " as date) as period_month, '" ~ mart ~ "' as source_mart, "
                ~ dimension_key ~ " as dimension_key, '" ~ measure ~ "' as kpi, cast(" ~ measure
                ~ " as double) as kpi_value from " ~ relation
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif %}

{%- if branches %}
    {{ branches | join('\nunion all\n') }}
{%- else %}
    select
        cast(null as date) as period_month,
        cast(null as varchar) as source_mart,
        cast(null as varchar) as dimension_key,
        cast(null as varchar) as kpi,
        cast(null as double) as kpi_value
    where false
{%- endif %}
