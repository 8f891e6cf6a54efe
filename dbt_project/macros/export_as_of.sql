{#- The run's "now" by default: the latest export instant (raw.load_log.exported_at) of the loads with status
    'loaded', as a scalar subquery; null when no load is recorded (raw rows written by hand). int_sla_as_of and
    int_availability_as_of both read it, after var as_of. -#}
{% macro export_as_of() -%}
    (
        select max(l.exported_at)
        from {{ source('raw', 'load_log') }} as l
        where l.status = 'loaded'
    )
{%- endmacro %}
