"""The refresh_token grant and Kommo's rotation rule.

Refreshing with T returns a new pair N; T keeps working until N is first used, then T is
revoked ("Token has been revoked", 401 as observed). Refreshing T again while N is unused
revokes N and returns N'.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt
import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.db.database import Database
from tests.factories import Account, Factory
from tests.oauth.helpers import (
    UNAUTHORIZED_API,
    code_for,
    exchange,
    get_lead,
    make_integration,
    oauth_error,
    refresh,
    revoked_token,
    run,
)


def _start(client: TestClient, factory: Factory) -> tuple[Account, Any, int, dict[str, Any]]:
    account = factory.account()
    lead_id = factory.lead(account)
    integration = make_integration(client)
    pair = exchange(client, integration, code_for(client, account, integration)).json()
    return account, integration, lead_id, pair


def test_refresh_returns_a_new_pair(client: TestClient, factory: Factory):
    _, integration, lead_id, first = _start(client, factory)

    response = refresh(client, integration, first["refresh_token"])

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == [
        "token_type",
        "expires_in",
        "server_time",
        "access_token",
        "refresh_token",
    ]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    old = jwt.decode(first["access_token"], options={"verify_signature": False})
    new = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {k: new[k] for k in ("aud", "sub", "account_id", "scopes", "api_domain")} == {
        k: old[k] for k in ("aud", "sub", "account_id", "scopes", "api_domain")
    }
    assert new["exp"] - new["iat"] == 86400
    assert get_lead(client, lead_id, body["access_token"]).status_code == 200
    # rotation revokes refresh tokens only: the old access token lives its 24 hours
    assert get_lead(client, lead_id, first["access_token"]).status_code == 200


def test_redirect_uri_is_optional_on_refresh_but_must_match_when_given(
    client: TestClient, factory: Factory
):
    _, integration, _, first = _start(client, factory)
    wrong = refresh(client, integration, first["refresh_token"], redirect_uri="https://evil.test/")
    assert wrong.status_code == 400
    assert wrong.json() == oauth_error(400, "Invalid redirect URI")
    absent = refresh(client, integration, first["refresh_token"], redirect_uri="")
    assert absent.status_code == 200, absent.text


def test_old_token_works_until_the_new_one_is_used(client: TestClient, factory: Factory):
    _, integration, _, t = _start(client, factory)
    n = refresh(client, integration, t["refresh_token"]).json()
    # the answer was "lost": T again. The unused N is revoked, N' issued.
    n2 = refresh(client, integration, t["refresh_token"])
    assert n2.status_code == 200, n2.text
    n2 = n2.json()
    unused = refresh(client, integration, n["refresh_token"])
    assert unused.status_code == 401
    assert unused.json() == revoked_token("Token has been revoked")

    # N' is used: from now on T is revoked
    n3 = refresh(client, integration, n2["refresh_token"])
    assert n3.status_code == 200, n3.text
    after = refresh(client, integration, t["refresh_token"])
    assert after.status_code == 401
    assert after.json() == revoked_token("Token has been revoked")
    # N' itself keeps working until N'' is used
    assert refresh(client, integration, n2["refresh_token"]).status_code == 200


def test_old_token_after_the_new_one_was_used(client: TestClient, factory: Factory):
    _, integration, _, t = _start(client, factory)
    n = refresh(client, integration, t["refresh_token"]).json()
    assert refresh(client, integration, n["refresh_token"]).status_code == 200

    response = refresh(client, integration, t["refresh_token"])

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "hint": "Token has been revoked",
        "title": "Unauthorized",
        "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
        "status": 401,
        "detail": "The refresh token is invalid.",
    }


def test_expired_refresh_token(client: TestClient, factory: Factory):
    account, integration, _, t = _start(client, factory)
    factory.execute(
        "UPDATE refresh_tokens SET expires_at = :t WHERE account_id = :a",
        t=int(time.time()) - 1,
        a=account.id,
    )
    response = refresh(client, integration, t["refresh_token"])
    assert response.status_code == 401
    assert response.json() == revoked_token("Token has expired")


def test_refresh_token_lives_three_months(client: TestClient, factory: Factory):
    account, _, _, _ = _start(client, factory)
    with factory.engine.connect() as conn:
        issued, expires = conn.execute(
            sa.text("SELECT issued_at, expires_at FROM refresh_tokens WHERE account_id = :a"),
            {"a": account.id},
        ).one()
    assert expires - issued == 90 * 86400


def test_refresh_token_of_another_client_or_unreadable(client: TestClient, factory: Factory):
    _, integration, _, t = _start(client, factory)
    other = make_integration(client)
    foreign = refresh(client, other, t["refresh_token"])
    assert foreign.status_code == 401
    assert foreign.json() == revoked_token("Token is not linked to client")
    for value in ("nope", t["refresh_token"][:-1], t["refresh_token"] + "A",
                  "7." + "B" * 64):  # fmt: skip
        response = refresh(client, integration, value)
        assert response.status_code == 401, value
        assert response.json() == revoked_token("Cannot decrypt the refresh token")
    # none of this spent T
    assert refresh(client, integration, t["refresh_token"]).status_code == 200


def test_wrong_secret_on_refresh(client: TestClient, factory: Factory):
    _, integration, _, t = _start(client, factory)
    response = refresh(client, integration, t["refresh_token"], client_secret="x")
    assert response.status_code == 401
    assert response.json()["hint"] == "Client authentication failed"
    assert refresh(client, integration, t["refresh_token"]).status_code == 200


def _race(client: TestClient, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """Send the bodies at once, as concurrent tasks on the app (its own event loop)."""

    async def work(db: Database) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return list(
                await asyncio.gather(
                    *(http.post("/oauth2/access_token", json=body) for body in bodies)
                )
            )

    return run(client, work)


def test_two_refreshes_racing_on_one_token(client: TestClient, factory: Factory):
    _, integration, lead_id, t = _start(client, factory)
    body = {"client_id": integration.id, "client_secret": integration.secret,
            "grant_type": "refresh_token", "refresh_token": t["refresh_token"]}  # fmt: skip

    a, b = _race(client, [body, body])

    # serialized on T's row: both succeed (T is in its grace), and the later answer replaced
    # the earlier one, so exactly one of the two new refresh tokens works
    assert a.status_code == b.status_code == 200, (a.text, b.text)
    tokens = [a.json()["refresh_token"], b.json()["refresh_token"]]
    assert tokens[0] != tokens[1]
    results = [refresh(client, integration, token) for token in tokens]
    assert sorted(r.status_code for r in results) == [200, 401]
    loser = next(r for r in results if r.status_code == 401)
    assert loser.json() == revoked_token("Token has been revoked")
    # the winner was used: T is revoked now
    late = refresh(client, integration, t["refresh_token"])
    assert late.json() == revoked_token("Token has been revoked")
    winner = next(r for r in results if r.status_code == 200).json()
    assert get_lead(client, lead_id, winner["access_token"]).status_code == 200


def test_two_exchanges_racing_on_one_code(client: TestClient, factory: Factory):
    account = factory.account()
    lead_id = factory.lead(account)
    integration = make_integration(client)
    code = code_for(client, account, integration)
    body = {"client_id": integration.id, "client_secret": integration.secret,
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": integration.redirect_uri}  # fmt: skip

    answers = _race(client, [body, body])

    assert sorted(r.status_code for r in answers) == [200, 400]
    refused = next(r for r in answers if r.status_code == 400)
    assert refused.json() == oauth_error(400, "Authorization code has been revoked")
    # the replay revoked what the winner got
    issued = next(r for r in answers if r.status_code == 200).json()
    denied = get_lead(client, lead_id, issued["access_token"])
    assert denied.status_code == 401 and denied.json() == UNAUTHORIZED_API
    assert refresh(client, integration, issued["refresh_token"]).json() == revoked_token(
        "Token has been revoked"
    )
