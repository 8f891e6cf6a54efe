"""The project's Definitions carry the data-quality checks on the real asset keys, with severity as blocking."""

from __future__ import annotations

from dagster import AssetKey

from data_quality.runner import checks_by_asset
from data_quality.specs import Severity


def test_every_check_targets_an_asset_of_the_project_with_its_severity():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    materializable = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    specs = {key: graph.get_check_spec(key) for key in graph.asset_check_keys}
    for group in checks_by_asset():
        asset_key = AssetKey(list(group.asset_key))
        # raw/* come from the ingestion multi-asset, staging/* and marts/* from dagster-dbt
        assert asset_key in materializable, asset_key
        for name, severity, _ in group.check_specs:
            spec = next(s for k, s in specs.items() if k.asset_key == asset_key and k.name == name)
            assert spec.blocking is (severity is Severity.BLOCKING), name
