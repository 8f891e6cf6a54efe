{#- One row naming the dbt invocation that built the marts, so extracts and their manifests can cite the run
    that produced the numbers (dbt keeps no such record inside the warehouse). -#}
select
    '{{ invocation_id }}' as dbt_invocation_id,
    '{{ dbt_version }}' as dbt_version,
    cast('{{ run_started_at }}' as timestamp with time zone) as built_at
