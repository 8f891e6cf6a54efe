{#- The columns are a primary key: never null and never repeated. One test node instead of a unique test plus
    a not_null test per column (dbt runs every test as its own node on every build, data or not).
    Fails with one row per offending key value and the number of rows holding it. -#}
{% test primary_key(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as rows_with_key
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1 or {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
