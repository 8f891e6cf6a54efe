"""The dashboard answers only requests addressed to localhost names (DNS rebinding), through Flask's test client
of the real app."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboards.app import create_app


@pytest.fixture
def client(tmp_path: Path):
    # No warehouse: the page still renders (it says the data is not readable), which is all the Host check needs.
    return create_app(tmp_path / "missing.duckdb").server.test_client()


@pytest.mark.parametrize("host", ["localhost:8050", "127.0.0.1:8050", "[::1]:8050", "localhost"])
def test_local_host_names_are_served(client, host: str):
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 200
    assert b"ITSM service dashboard" in response.data


@pytest.mark.parametrize("host", ["evil.example:8050", "localhost.evil.example", "127.0.0.1.nip.io:8050", "10.0.0.5"])
def test_any_other_host_gets_403_on_every_route(client, host: str):
    for route in ("/", "/_dash-layout", "/_dash-update-component"):
        response = client.get(route, headers={"Host": host})
        assert response.status_code == 403, route
        assert b"answers only requests to localhost" in response.data


def test_the_address_given_with_host_is_accepted_too(tmp_path: Path):
    # `itsm dashboard --host 10.0.0.5` binds that address on purpose: its own IP literal cannot be a rebinding name.
    client = create_app(tmp_path / "missing.duckdb", bind_host="10.0.0.5").server.test_client()
    assert client.get("/", headers={"Host": "10.0.0.5:8050"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example:8050"}).status_code == 403
    wildcard = create_app(tmp_path / "missing.duckdb", bind_host="0.0.0.0").server.test_client()
    assert wildcard.get("/", headers={"Host": "0.0.0.0:8050"}).status_code == 403
