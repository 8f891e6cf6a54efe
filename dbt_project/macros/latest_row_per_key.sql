{#- Re-exports of the same record land as new raw rows (raw keeps history);
    downstream sees only the latest: highest load id, then last row in that file. -#}
{% macro latest_row_per_key(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _load_id desc, _row_number desc
    ) = 1
{%- endmacro %}
