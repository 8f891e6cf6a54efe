with source as (
    select * from {{ source('raw', 'ticket_events') }}
),

latest as (
    select
        ticket_id,
        event_at,
        field,
        from_value,
        to_value,
        actor,
        _source_file,
        _file_sha256,
        _row_number,
        _loaded_at,
        _load_id
    from source
    qualify {{ latest_row_per_key(['ticket_id', 'event_at', 'field']) }}
)

select * from latest
