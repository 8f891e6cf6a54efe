{#- One row per ticket per stretch of time in one canonical state, from field = 'state' events.
    The first stretch starts at opened_at in the first event's from_value ('new' when unknown); each event
    starts a stretch in its to_value; the last stretch is open (valid_to null). Events stamped before
    opened_at were moved to opened_at (int_ticket_events) so stretches never start before the ticket. -#}
with tickets as (
    select
        ticket_id,
        opened_at
    from {{ refreshed_rows(ref('stg_raw__tickets')) }}
),

events as (
    select
        ticket_id,
        event_at,
        from_value,
        to_value,
        event_no
    from {{ refreshed_rows(ref('int_ticket_events')) }}
    where field = 'state'
),

stretches as (
    select
        t.ticket_id,
        0 as stretch_no,
        coalesce(e.from_value, 'new') as state,
        t.opened_at as valid_from
    from tickets as t
    left join events as e
        on t.ticket_id = e.ticket_id
            and e.event_no = 1

    union all

    select
        ticket_id,
        event_no as stretch_no,
        to_value as state,
        event_at as valid_from
    from events
),

bounded as (
    select
        ticket_id,
        stretch_no,
        state,
        lag(state) over (partition by ticket_id order by stretch_no) as previous_state,
        valid_from,
        lead(valid_from) over (partition by ticket_id order by stretch_no) as valid_to
    from stretches
)

select
    ticket_id,
    stretch_no,
    state,
    previous_state,
    valid_from,
    valid_to,
    state in ('resolved', 'closed', 'cancelled') as is_terminal
from bounded
