{#- One row per survey sent, with the ticket's service, group and priority and its SLA outcome.
    A score outside its scale (CSAT 1-5, NPS 0-10) is never counted: it is nulled here and the survey is
    flagged (quality_status, warn-level test); the survey itself still counts as sent and responded. -#}
with surveys as (
    select
        survey_id,
        ticket_id,
        sent_at,
        responded_at,
        csat_score,
        nps_score,
        comment
    from {{ ref('stg_raw__surveys') }}
),

tickets as (
    select
        ticket_id,
        ticket_type,
        service,
        assignment_group,
        priority
    from {{ ref('stg_raw__tickets') }}
),

-- the SLA engine's per-ticket outcome: breached when either clock breached, met when resolution met and
-- response not breached; tickets with running or cancelled clocks (or none) fall in neither split
sla as (
    select
        ticket_id,
        case
            when resolution_sla_state = 'breached' or response_sla_state = 'breached' then 'breached'
            when resolution_sla_state = 'met' then 'met'
        end as sla_outcome
    from {{ ref('fct_ticket_sla_outcome') }}
),

checked as (
    select
        s.*,
        s.csat_score between 1 and 5 as csat_in_scale,
        s.nps_score between 0 and 10 as nps_in_scale
    from surveys as s
)

select
    c.survey_id,
    c.ticket_id,
    t.ticket_type,
    {{ service_or_unassigned('t.service') }} as service,
    coalesce(t.assignment_group, 'unknown') as assignment_group,
    t.priority,
    c.sent_at,
    c.responded_at,
    cast(date_trunc('month', c.sent_at) as date) as survey_month,
    (c.responded_at is not null or c.csat_score is not null or c.nps_score is not null) as has_response,
    ({{ epoch_seconds('c.responded_at') }} - {{ epoch_seconds('c.sent_at') }}) / 3600.0 as response_hours,
    case when c.csat_in_scale then c.csat_score end as csat_score,
    case when c.nps_in_scale then c.nps_score end as nps_score,
    case when c.csat_in_scale then c.csat_score >= 4 end as is_satisfied,
    case
        when c.nps_in_scale is not true then null
        when c.nps_score >= 9 then 'promoter'
        when c.nps_score >= 7 then 'passive'
        else 'detractor'
    end as nps_category,
    c.comment is not null and trim(c.comment) <> '' as has_comment,
    sla.sla_outcome,
    case
        when c.csat_score is not null and not c.csat_in_scale then 'csat_out_of_scale'
        when c.nps_score is not null and not c.nps_in_scale then 'nps_out_of_scale'
        when c.responded_at < c.sent_at then 'responded_before_sent'
        else 'ok'
    end as quality_status
from checked as c
left join tickets as t on c.ticket_id = t.ticket_id
left join sla on c.ticket_id = sla.ticket_id
