{#- The incident KPI groups (day and month) this run recomputes: those of every refreshed incident whose group or
    KPI inputs differ from what the KPI tables last saw (int_incident_kpi_keys), old group and new. A running
    clock that changed nothing a KPI reads changes no group. Empty when every ticket is recomputed: the KPI
    tables are then rebuilt whole (macros/incident_kpis.sql). -#}
-- depends_on: {{ ref('fct_incident') }}
-- depends_on: {{ ref('int_tickets_to_refresh') }}
-- depends_on: {{ ref('int_ticket_refresh_bounds') }}
{{ changed_kpi_groups(
    'ticket_id', {'day': 'day_key', 'month': 'month_key'},
    now_seen=refreshed_incident_kpi_keys(),
    seen_model='int_incident_kpi_keys',
    is_refreshed=is_refreshed_ticket('ticket_id'),
) }}
