{#- The touched incidents (new raw rows; the backlog columns come from the ticket row alone, never from as_of)
    whose backlog columns differ from what fct_backlog_daily last counted (int_backlog_incidents): the old
    version with weight -1, the new one with +1 (an incident that appeared or left has only one of them).
    fct_backlog_daily adds their marks to its previous rows. Empty when every ticket is recomputed: the backlog
    is then rebuilt whole (macros/backlog_refresh.sql). -#}
{%- set seen = existing_model_relation('int_backlog_incidents') -%}
-- depends_on: {{ ref('fct_incident') }}
-- depends_on: {{ ref('int_tickets_to_refresh') }}
-- depends_on: {{ ref('int_ticket_refresh_bounds') }}
{% if refreshes_every_ticket() or seen is none -%}
    select
        cast(null as varchar) as ticket_id,
        cast(null as varchar) as service,
        cast(null as integer) as priority,
        cast(null as timestamp with time zone) as opened_at,
        cast(null as timestamp with time zone) as ended_at,
        cast(null as integer) as weight
    where false
{%- else -%}
    with now_seen as (
        {{ backlog_incident_columns() }}
        where {{ is_refreshed_ticket('ticket_id', 'touched') }}
    ),

    last_seen as (
        select * from {{ seen }}
        where {{ is_refreshed_ticket('ticket_id', 'touched') }}
    ),

    changed as (
        select coalesce(n.ticket_id, o.ticket_id) as ticket_id
        from now_seen as n
        full outer join last_seen as o on n.ticket_id = o.ticket_id
        where
            n.ticket_id is null
            or o.ticket_id is null
            or n.service is distinct from o.service
            or n.priority is distinct from o.priority
            or n.opened_at is distinct from o.opened_at
            or n.ended_at is distinct from o.ended_at
    )

    select
        ticket_id,
        service,
        priority,
        opened_at,
        ended_at,
        1 as weight
    from now_seen
    where ticket_id in (select c.ticket_id from changed as c)

    union all

    select
        ticket_id,
        service,
        priority,
        opened_at,
        ended_at,
        -1 as weight
    from last_seen
    where ticket_id in (select c.ticket_id from changed as c)
{%- endif %}
