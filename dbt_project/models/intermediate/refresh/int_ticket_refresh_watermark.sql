{#- One row per build of the per-ticket models: the raw loads they now include. Appended only after all of
    them are built (the depends_on refs below), so a failed run leaves the watermark where it was. -#}
{{ config(materialized='incremental', incremental_strategy='append') }}
{% for model_name in per_ticket_models() -%}
-- depends_on: {{ ref(model_name) }}
{% endfor -%}
select
    through_load_id as refreshed_through_load_id,
    reference_hash,
    (select count(*) from {{ ref('int_tickets_to_refresh') }}) as tickets_refreshed,
    current_timestamp as refreshed_at,
    '{{ invocation_id }}' as dbt_invocation_id
from {{ ref('int_ticket_refresh_bounds') }}
