{#- The surveys fct_survey recomputes in this run (macros/survey_refresh.sql): those with raw rows from loads
    after the ticket refresh bound (new or corrected surveys; load ids are one sequence over every table), plus
    the surveys fct_survey holds for a refreshed ticket (its service, group, priority or SLA outcome may have
    moved). Unused when every ticket is recomputed: fct_survey is then rebuilt whole. -#}
{%- set previous = existing_model_relation('fct_survey') -%}
-- depends_on: {{ ref('int_tickets_to_refresh') }}
-- distinct and union (not union all): each survey once
select distinct s.survey_id
from {{ source('raw', 'surveys') }} as s
cross join {{ ref('int_ticket_refresh_bounds') }} as b
where b.refresh_after_load_id is null or s._load_id > b.refresh_after_load_id
{%- if previous is not none %}

    union

    select p.survey_id
    from {{ previous }} as p
    where {{ is_refreshed_ticket('p.ticket_id') }}
{%- endif %}
