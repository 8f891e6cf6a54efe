"""`lineage`: the source files behind the period's numbers, with hashes, load times, row counts and run ids.

A file is "behind" the period when it supplied the current version (latest load wins per key) of at least one
record active in the period. Its full load record comes from raw.load_log; `source_rows` says how many of the
period's records each file supplied per table; `build_info` names the dbt invocation that built the marts, the
last raw load and the latest check run. The code version that wrote the extract is in the manifest.
"""

from __future__ import annotations

from pipelines.extracts.manifest import BUILD_INFO_RELATION
from pipelines.extracts.period import ACTIVITY, STAGING_RELATIONS, active_rows_sql, activity_count_sql
from pipelines.extracts.request import ExtractRequest
from pipelines.extracts.spec import Dataset, ExtractKind

_ACTIVE = "\nunion all\n".join(active_rows_sql(t) for t in ACTIVITY)


def _datasets(request: ExtractRequest) -> list[Dataset]:
    return [
        Dataset(
            name="source_files",
            description="Every loaded file that supplied a record active in the period, as raw.load_log has it.",
            sql=f"""
                select
                    l.load_id,
                    l.source_file,
                    l.file_sha256,
                    l.adapter,
                    l.status,
                    l.rows_read,
                    l.rows_loaded,
                    l.rows_quarantined,
                    l.tables_loaded,
                    l.started_at,
                    l.finished_at
                from raw.load_log as l
                where l.load_id in (select load_id from ({_ACTIVE}) as active)
            """,
        ),
        Dataset(
            name="source_rows",
            description="Per file and raw table: how many records active in the period it supplied.",
            sql=f"""
                select load_id, raw_table, any_value(source_file) as source_file, count(*) as records_in_period
                from ({_ACTIVE}) as active
                group by load_id, raw_table
            """,
        ),
        Dataset(
            name="build_info",
            description="The runs behind the marts: dbt invocation, last raw load, latest data-quality run.",
            sql=f"""
                select
                    b.dbt_invocation_id,
                    b.dbt_version,
                    b.built_at as marts_built_at,
                    b.invoked_by as marts_built_by,
                    nullif(regexp_extract(b.dbt_target_path, '-([0-9a-f]{{7}})-[0-9a-f-]{{7}}$', 1), '')
                        as dagster_run_id_prefix,
                    (select max(load_id) from raw.load_log where status = 'loaded') as last_load_id,
                    (select run_id from dq.check_results order by checked_at desc, run_id desc limit 1)
                        as latest_dq_run_id
                from {BUILD_INFO_RELATION} as b
            """,
        ),
    ]


KIND = ExtractKind(
    name="lineage",
    description="source files (SHA-256, load times, row counts) and the runs behind the period's marts",
    requires=("raw.load_log", BUILD_INFO_RELATION, "dq.check_results", *STAGING_RELATIONS),
    coverage_sql=activity_count_sql(),
    datasets=_datasets,
)
