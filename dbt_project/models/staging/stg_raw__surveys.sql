with source as (
    select * from {{ source('raw', 'surveys') }}
),

latest as (
    select
        survey_id,
        ticket_id,
        sent_at,
        responded_at,
        csat_score,
        nps_score,
        comment,
        _source_file,
        _file_sha256,
        _row_number,
        _loaded_at,
        _load_id
    from source
    qualify {{ latest_row_per_key(['survey_id']) }}
)

select * from latest
