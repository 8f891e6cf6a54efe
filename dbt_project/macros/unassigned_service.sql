{#- The service of a ticket, change or survey whose export names none: var unassigned_service ('unassigned',
    a row of seeds/services.csv), so nothing is grouped under a null service. A blank or whitespace-only value
    counts as none. -#}
{% macro service_or_unassigned(column) -%}
    coalesce(nullif(trim({{ column }}), ''), '{{ var("unassigned_service") }}')
{%- endmacro %}
