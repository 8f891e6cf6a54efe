"""`sla-breaches`: every SLA clock that breached in the period, with its explain trace.

A breach belongs to the period by its breach_at (the instant the clock crossed its target, pauses included), so
an open ticket already past its target is here too. `sla_breach_trace` has every interval of each breached clock
from marts.fct_sla_explain: counted, paused, outside hours, and where the target was crossed.
"""

from __future__ import annotations

from pipelines.extracts.period import activity_count_sql
from pipelines.extracts.request import ExtractRequest
from pipelines.extracts.spec import Dataset, ExtractKind

# The customer's survey comments on the ticket are free text: dropped unless --include-comments.
_BREACHED = """
    select s.*, t.service, t.assignment_group, t.assignee, t.caller, c.survey_comment
    from marts.fct_ticket_sla as s
    inner join staging.stg_raw__tickets as t on s.ticket_id = t.ticket_id
    left join (
        select ticket_id, string_agg(comment, ' | ' order by survey_id) as survey_comment
        from staging.stg_raw__surveys where comment is not null group by ticket_id
    ) as c on s.ticket_id = c.ticket_id
    where s.breached and s.breach_at >= $start_ts and s.breach_at < $end_ts
      and ($service is null or t.service = $service)
"""


def _datasets(request: ExtractRequest) -> list[Dataset]:
    return [
        Dataset(
            name="sla_breaches",
            description="One row per breached SLA clock (ticket x metric x cycle) with breach_at in the period.",
            sql=f"""
                select
                    b.sla_id,
                    b.ticket_id,
                    b.ticket_type,
                    b.metric,
                    b.cycle_no,
                    b.service,
                    b.priority,
                    b.policy_id,
                    b.initial_policy_id,
                    b.policy_changed,
                    b.calendar_id,
                    b.target_seconds,
                    b.started_at,
                    b.stopped_at,
                    b.stop_state,
                    b.elapsed_business_seconds,
                    b.paused_business_seconds,
                    b.elapsed_calendar_seconds,
                    b.breach_at,
                    b.sla_state,
                    b.pause_clamped,
                    b.as_of,
                    b.assignment_group,
                    b.assignee,
                    b.caller,
                    b.survey_comment
                from ({_BREACHED}) as b
            """,
        ),
        Dataset(
            name="sla_breach_trace",
            description="Every interval of each breached clock: counted, paused, outside hours, target crossing.",
            sql=f"""
                select
                    e.sla_id,
                    e.piece_no,
                    e.ticket_id,
                    e.metric,
                    e.cycle_no,
                    e.state,
                    e.clock,
                    e.policy_id,
                    e.priority,
                    e.calendar_id,
                    e.target_seconds,
                    e.piece_start,
                    e.piece_end,
                    e.measured_end,
                    e.calendar_seconds,
                    e.business_seconds,
                    e.outside_hours_seconds,
                    e.counted_seconds,
                    e.paused_seconds,
                    e.counted_before_seconds,
                    e.counted_after_seconds,
                    e.pause_clamped,
                    e.target_crossed_at
                from marts.fct_sla_explain as e
                where e.sla_id in (select b.sla_id from ({_BREACHED}) as b)
            """,
        ),
    ]


KIND = ExtractKind(
    name="sla-breaches",
    description="every breached SLA clock of the period with its explain trace",
    requires=(
        "marts.fct_ticket_sla",
        "marts.fct_sla_explain",
        "staging.stg_raw__tickets",
        "staging.stg_raw__surveys",
    ),
    coverage_sql=activity_count_sql(("tickets",)),
    datasets=_datasets,
)
