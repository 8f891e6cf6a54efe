{#- The latest row of every ticket (same rule and columns as stg_raw__tickets), kept as a
    per-ticket table: a run replaces the rows of the touched tickets only. A ticket without a service gets
    var unassigned_service (macros/unassigned_service.sql), as in staging. Reads raw directly, filtered before
    the latest-row window: DuckDB cannot push that filter through the staging view. -#}
{{ per_ticket_model('touched') }}
select * exclude (_extra) replace ({{ service_or_unassigned('service') }} as service)
from {{ source('raw', 'tickets') }}
where {{ is_refreshed_ticket('ticket_id', 'touched') }}
qualify {{ latest_row_per_key(['ticket_id']) }}
