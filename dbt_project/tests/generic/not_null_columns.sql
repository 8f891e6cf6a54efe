{#- None of the columns is null: one test node for several required columns of a model instead of one
    not_null test (node) per column. Fails with the offending rows. -#}
{% test not_null_columns(model, columns) %}
    select *
    from {{ model }}
    where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
