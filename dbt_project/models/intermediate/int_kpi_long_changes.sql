{#- The groups (source mart, month, dimension values) whose rows kpi_monthly_long unpivots again in this run:
    those whose source rows differ from the ones it last unpivoted (int_kpi_long_seen), compared as multisets of
    (group key, row key), so added, removed and changed rows all count (macros/kpi_long.sql). Empty when there is
    no previous int_kpi_long_seen: kpi_monthly_long is then built whole. -#}
{%- set seen = existing_model_relation('int_kpi_long_seen') -%}
{%- for mart in kpi_long_marts() %}
-- depends_on: {{ ref(mart) }}
{%- endfor %}
{% if seen is none -%}
    select {{ tuple_key(["'none'"]) }} as group_key
    where false
{%- else -%}
    with now_seen as (
        {{ kpi_long_source_keys() }}
    ),

    last_seen as (
        select
            group_key,
            row_key
        from {{ seen }}
    ),

    differing as (
        (
            select * from now_seen
            except all
            select * from last_seen
        )
        union all
        (
            select * from last_seen
            except all
            select * from now_seen
        )
    )

    select distinct group_key
    from differing
{%- endif %}
