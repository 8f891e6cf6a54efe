"""`data-quality`: the check results behind the period's numbers.

Rows: every check result recorded while the period ran (checked_at inside the range) and the whole latest check
run (the checks the current marts passed or failed, whenever it ran), flagged by `is_latest_run`; and every
acknowledgement (the values a check was told to accept, with who and why: they shape the latest run's results).
`--service` does not select check rows (checks are per table, not per service); it only narrows the no-data test.
"""

from __future__ import annotations

from pipelines.extracts.period import STAGING_RELATIONS, activity_count_sql
from pipelines.extracts.request import ExtractRequest
from pipelines.extracts.spec import Dataset, ExtractKind

_LATEST_RUN = "(select run_id from dq.check_results order by checked_at desc, run_id desc limit 1)"


def _datasets(request: ExtractRequest) -> list[Dataset]:
    return [
        Dataset(
            name="check_results",
            description="Check results in the period plus the latest check run; passed is null when not applicable.",
            sql=f"""
                select
                    checked_at,
                    run_id,
                    check_name,
                    asset,
                    severity,
                    passed,
                    status,
                    observed_value,
                    failing_row_count,
                    failing_keys_sample,
                    details,
                    run_id = {_LATEST_RUN} as is_latest_run
                from dq.check_results
                where (checked_at >= $start_ts and checked_at < $end_ts) or run_id = {_LATEST_RUN}
            """,
        ),
        Dataset(
            name="check_runs",
            description="One row per check run in the extract: how many checks passed, failed, were not applicable.",
            sql=f"""
                select
                    min(checked_at) as checked_at,
                    run_id,
                    count(*) as checks,
                    count(*) filter (where passed) as passed,
                    count(*) filter (where passed is false) as failed,
                    count(*) filter (where passed is false and severity = 'blocking') as blocking_failed,
                    count(*) filter (where passed is null) as not_applicable
                from dq.check_results
                where (checked_at >= $start_ts and checked_at < $end_ts) or run_id = {_LATEST_RUN}
                group by run_id
            """,
        ),
        Dataset(
            name="acknowledgements",
            description=(
                "Every acknowledged value (`itsm dq acknowledge`, append-only): check, key, reason, who and when; "
                "the check leaves the key's rows out from then on."
            ),
            sql="""
                select acknowledged_at, check_name, key, reason, acknowledged_by
                from dq.acknowledgements
            """,
        ),
    ]


KIND = ExtractKind(
    name="data-quality",
    description="data-quality check results behind the period (checks run in it plus the latest run)",
    requires=("dq.check_results", "dq.acknowledgements", *STAGING_RELATIONS),
    # The period must have source data (checks of an empty period prove nothing) and checks must have run.
    coverage_sql=f"select ({activity_count_sql()}) * (select count(*) > 0 from dq.check_results)::int",
    datasets=_datasets,
)
