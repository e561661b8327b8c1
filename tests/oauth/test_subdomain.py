"""GET /oauth2/account/current/subdomain with X-Refresh-Token, and the older
/oauth2/account/subdomain with the access token."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from tests.factories import Factory
from tests.oauth.helpers import (
    UNAUTHORIZED_API,
    code_for,
    exchange,
    make_integration,
    oauth_error,
    refresh,
    revoked_token,
)


def _pair(client: TestClient, factory: Factory):  # type: ignore[no-untyped-def]
    account = factory.account()
    integration = make_integration(client)
    pair = exchange(client, integration, code_for(client, account, integration)).json()
    return account, integration, pair


def _ask(client: TestClient, token: str | None, host: str | None = None):  # type: ignore[no-untyped-def]
    headers = {} if token is None else {"X-Refresh-Token": token}
    if host:
        headers["Host"] = host
    return client.get("/oauth2/account/current/subdomain", headers=headers)


def test_answers_the_account_of_the_refresh_token(client: TestClient, factory: Factory):
    account, _, pair = _pair(client, factory)
    response = _ask(client, pair["refresh_token"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["id", "subdomain", "domain", "top_level_domain"]
    assert body == {"id": account.id, "subdomain": account.subdomain, "domain": "kommo.test",
                    "top_level_domain": "test"}  # fmt: skip
    # on the api_domain host as well as on the account's own
    assert _ask(client, pair["refresh_token"], "kommo.test").json() == body
    assert _ask(client, pair["refresh_token"], f"{account.subdomain}.kommo.test").json() == body


def test_refused_tokens(client: TestClient, factory: Factory):
    account, integration, pair = _pair(client, factory)
    other = factory.account()
    missing = _ask(client, None)
    assert missing.status_code == 400
    assert missing.json() == oauth_error(400, "Check the `X-Refresh-Token` header")
    for value in ("junk", pair["access_token"], f"{account.id}." + "Z" * 64):
        response = _ask(client, value)
        assert response.status_code == 401
        assert response.json() == revoked_token("Cannot decrypt the refresh token")
    elsewhere = _ask(client, pair["refresh_token"], f"{other.subdomain}.kommo.test")
    assert elsewhere.json() == revoked_token("Cannot decrypt the refresh token")

    # revoked: its successor was used
    n = refresh(client, integration, pair["refresh_token"]).json()
    assert _ask(client, pair["refresh_token"]).status_code == 200  # still in its grace
    assert refresh(client, integration, n["refresh_token"]).status_code == 200
    revoked = _ask(client, pair["refresh_token"])
    assert revoked.status_code == 401
    assert revoked.json() == revoked_token("Token has been revoked")

    factory.execute(
        "UPDATE refresh_tokens SET expires_at = :t WHERE account_id = :a",
        t=int(time.time()) - 1,
        a=account.id,
    )
    expired = _ask(client, n["refresh_token"])
    assert expired.status_code == 401
    assert expired.json() == revoked_token("Token has expired")


# -- GET /oauth2/account/subdomain: the older form, with the access token ----------------------


def _ask_by_access(client: TestClient, authorization: str | None, host: str | None = None):  # type: ignore[no-untyped-def]
    headers = {} if authorization is None else {"Authorization": authorization}
    if host:
        headers["Host"] = host
    return client.get("/oauth2/account/subdomain", headers=headers)


def test_the_access_token_form_answers_the_same(client: TestClient, factory: Factory):
    """The official PHP SDK's ``getAccountDomain()`` calls ``/oauth2/account/subdomain`` with
    the access token (Kommo: deprecated, still served); the answer is the refresh-token form's."""
    account, _, pair = _pair(client, factory)
    by_refresh = _ask(client, pair["refresh_token"]).json()
    response = _ask_by_access(client, f"Bearer {pair['access_token']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert list(body) == ["id", "subdomain", "domain", "top_level_domain"]
    assert body == by_refresh == {
        "id": account.id, "subdomain": account.subdomain, "domain": "kommo.test",
        "top_level_domain": "test",
    }  # fmt: skip
    # Kommo serves it on its www host; the token alone names the account, whatever the Host
    other = factory.account()
    for host in ("www.kommo.test", "kommo.test", f"{other.subdomain}.kommo.test"):
        assert _ask_by_access(client, f"Bearer {pair['access_token']}", host).json() == body
    # a long-lived token answers for its account too
    long_lived = factory.token(other, other.admin)
    assert _ask_by_access(client, f"Bearer {long_lived}").json() == {
        "id": other.id, "subdomain": other.subdomain, "domain": "kommo.test",
        "top_level_domain": "test",
    }  # fmt: skip


def test_the_access_token_form_refuses_what_the_api_refuses(client: TestClient, factory: Factory):
    _, _, pair = _pair(client, factory)
    for authorization in (
        None, "Bearer junk", f"Bearer {pair['refresh_token']}", pair["access_token"],
        f"Basic {pair['access_token']}",
    ):  # fmt: skip
        response = _ask_by_access(client, authorization)
        assert response.status_code == 401, authorization
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == UNAUTHORIZED_API
    wrong_method = client.post(
        "/oauth2/account/subdomain", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert wrong_method.status_code == 405
