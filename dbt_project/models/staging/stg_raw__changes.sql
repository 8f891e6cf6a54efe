with source as (
    select * from {{ source('raw', 'changes') }}
),

latest as (
    select
        change_id,
        change_type,
        risk,
        {{ service_or_unassigned('service') }} as service,
        ci,
        requested_at,
        approved_at,
        planned_start,
        planned_end,
        actual_start,
        actual_end,
        state,
        close_code,
        assignment_group,
        _source_file,
        _file_sha256,
        _row_number,
        _loaded_at,
        _load_id
    from source
    qualify {{ latest_row_per_key(['change_id']) }}
)

select * from latest
