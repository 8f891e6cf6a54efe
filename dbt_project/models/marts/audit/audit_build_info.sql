{#- One row naming the dbt invocation that built the marts, so extracts and their manifests can cite the run
    that produced the numbers (dbt keeps no such record inside the warehouse). Under Dagster, dagster-dbt sets
    DAGSTER_DBT_CLI and a per-run DBT_TARGET_PATH named <op>-<first 7 characters of the Dagster run id>-<random>,
    which is how the Dagster run is traced back. -#}
select
    '{{ invocation_id }}' as dbt_invocation_id,
    '{{ dbt_version }}' as dbt_version,
    cast('{{ run_started_at }}' as {{ type_instant() }}) as built_at,
    '{{ "dagster" if env_var("DAGSTER_DBT_CLI", "") == "true" else "dbt" }}' as invoked_by,
    '{{ env_var("DBT_TARGET_PATH", "") | replace("\\", "/") | replace("'", "") }}' as dbt_target_path
