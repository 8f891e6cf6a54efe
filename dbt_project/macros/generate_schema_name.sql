{#- Schemas are named exactly as configured (staging, intermediate, marts, reference)
    so analysts and extracts see stable names, not target-prefixed ones. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
