with source as (
    select * from {{ source('raw', 'outages') }}
),

latest as (
    select
        outage_id,
        service,
        ci,
        started_at,
        ended_at,
        outage_type,
        impact_pct,
        change_id,
        ticket_id,
        _source_file,
        _file_sha256,
        _row_number,
        _loaded_at,
        _load_id
    from source
    qualify {{ latest_row_per_key(['outage_id']) }}
)

select * from latest
