{#- The group key and row key of every source row kpi_monthly_long unpivoted: built after it, so the next run's
    int_kpi_long_changes compares against what it holds (macros/kpi_long.sql). -#}
-- depends_on: {{ ref('kpi_monthly_long') }}
{%- for mart in kpi_long_marts() %}
-- depends_on: {{ ref(mart) }}
{%- endfor %}
{{ kpi_long_source_keys() }}
