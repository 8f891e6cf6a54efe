{#- Per incident, the columns fct_backlog_daily counted it by, as it last counted them: built after it, so the
    next run's int_backlog_changes compares against what the backlog holds (macros/backlog_refresh.sql).
    Scope 'touched': these columns come from the ticket row alone, never from as_of. -#}
{{ per_ticket_model('touched') }}
-- depends_on: {{ ref('fct_backlog_daily') }}
{{ backlog_incident_columns() }}
where {{ is_refreshed_ticket('ticket_id', 'touched') }}
