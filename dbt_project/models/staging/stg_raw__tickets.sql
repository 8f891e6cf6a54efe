with source as (
    select * from {{ refreshed_rows(source('raw', 'tickets')) }}
),

latest as (
    select
        ticket_id,
        ticket_type,
        opened_at,
        first_response_at,
        resolved_at,
        closed_at,
        state,
        priority,
        impact,
        urgency,
        {{ service_or_unassigned('service') }} as service,
        ci,
        category,
        subcategory,
        assignment_group,
        assignee,
        channel,
        caller,
        reopen_count,
        reassignment_count,
        caused_by_change,
        problem_id,
        close_code,
        source_made_sla,
        _source_file,
        _file_sha256,
        _row_number,
        _loaded_at,
        _load_id
    from source
    qualify {{ latest_row_per_key(['ticket_id']) }}
)

select * from latest
