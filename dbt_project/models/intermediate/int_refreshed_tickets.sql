{#- The latest row of every ticket refreshed in this run (all tickets on a full refresh): the per-ticket
    models read tickets from here rather than from stg_raw__tickets, because DuckDB cannot push the refresh
    filter through the staging view's latest-row window (it would deduplicate every ticket each run).
    Same rule and columns as stg_raw__tickets. -#}
select * exclude (_extra)
from {{ source('raw', 'tickets') }}
where {{ is_refreshed_ticket('ticket_id') }}
qualify {{ latest_row_per_key(['ticket_id']) }}
