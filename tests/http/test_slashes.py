"""The trailing-slash redirect never names a host: the Host header is the client's to forge."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.factories import Account, Factory


@pytest.fixture(scope="module")
def auth(factory: Factory) -> dict[str, str]:
    account: Account = factory.account()
    return {"Authorization": f"Bearer {factory.token(account, account.admin)}"}


@pytest.mark.parametrize(
    ("path", "location"),
    [("/api/v4/leads/", "/api/v4/leads"),
     ("/api/v4/leads/?limit=2&page=1", "/api/v4/leads?limit=2&page=1"),
     ("/healthz/", "/healthz"), ("/api/v4/account/", "/api/v4/account")],
)  # fmt: skip
def test_redirect_is_a_relative_path_whatever_the_host(client: TestClient, path, location):
    response = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == location


def test_redirect_is_followed_to_the_same_answer(client: TestClient, auth):
    direct = client.get("/api/v4/account", headers=auth)
    followed = client.get("/api/v4/account/", headers=auth)
    assert followed.status_code == direct.status_code == 200
    assert followed.json() == direct.json()


def test_no_redirect_without_a_route_to_go_to(client: TestClient):
    response = client.get("/api/v4/nothing/", headers={"Host": "evil.example"})
    assert response.status_code == 404
    assert "location" not in response.headers
