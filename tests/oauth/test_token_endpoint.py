"""POST /oauth2/access_token, authorization_code grant (as Kommo's clients use it)."""

from __future__ import annotations

import json
import re
import time
import uuid

import jwt
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.factories import Factory
from tests.oauth.helpers import (
    CLIENT_FAILED,
    INVALID_REQUEST,
    UNAUTHORIZED_API,
    basic,
    code_for,
    exchange,
    get_lead,
    make_integration,
    oauth_error,
    refresh,
    revoked_token,
)

OPAQUE = re.compile(r"[1-9][0-9]*\.[A-Za-z0-9_-]{64}")


def _tokens(factory: Factory, account_id: int) -> list[tuple[str, str, str, int]]:
    with factory.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT jti, integration_id, kind, user_id FROM api_tokens "
                "WHERE account_id = :a ORDER BY issued_at, jti"
            ),
            {"a": account_id},
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_code_exchange_answers_a_token_pair_that_reads_a_lead(client: TestClient, factory: Factory):
    account = factory.account()
    lead_id = factory.lead(account)
    integration = make_integration(client)
    code = code_for(client, account, integration)
    assert code.startswith(f"{account.id}.")
    before = int(time.time())

    response = exchange(client, integration, code)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert list(body) == [
        "token_type",
        "expires_in",
        "server_time",
        "access_token",
        "refresh_token",
    ]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert before <= body["server_time"] <= int(time.time())
    assert OPAQUE.fullmatch(body["refresh_token"])
    assert body["refresh_token"].startswith(f"{account.id}.")
    header = jwt.get_unverified_header(body["access_token"])
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert header["alg"] == "RS256" and header["typ"] == "JWT"
    assert claims["aud"] == integration.id
    assert claims["sub"] == str(account.admin)
    assert claims["account_id"] == account.id
    assert claims["api_domain"] == "kommo.test"
    assert claims["scopes"] == ["crm", "notifications"]
    assert claims["exp"] - claims["iat"] == 86400
    assert claims["iat"] == body["server_time"]
    assert _tokens(factory, account.id) == [
        (claims["jti"], integration.id, "access", account.admin)
    ]

    lead = get_lead(client, lead_id, body["access_token"])
    assert lead.status_code == 200
    assert lead.json()["id"] == lead_id


def test_form_encoded_body_and_http_basic_credentials(client: TestClient, factory: Factory):
    account = factory.account()
    lead_id = factory.lead(account)
    integration = make_integration(client)
    form = {
        "grant_type": "authorization_code",
        "code": code_for(client, account, integration),
        "redirect_uri": integration.redirect_uri,
    }
    # what league/oauth2-client sends: form-encoded, credentials in the body
    in_body = client.post(
        "/oauth2/access_token",
        data={**form, "client_id": integration.id, "client_secret": integration.secret},
    )
    # credentials by HTTP Basic only
    form["code"] = code_for(client, account, integration)
    by_basic = client.post(
        "/oauth2/access_token",
        data=form,
        headers={"Authorization": basic(integration.id, integration.secret)},
    )
    # JSON with no Content-Type at all
    form["code"] = code_for(client, account, integration)
    raw_json = client.post(
        "/oauth2/access_token",
        content=json.dumps({**form, "client_id": integration.id,
                            "client_secret": integration.secret}).encode(),
    )  # fmt: skip
    # multipart/form-data
    form["code"] = code_for(client, account, integration)
    multipart = client.post(
        "/oauth2/access_token",
        files={k: (None, v) for k, v in
               {**form, "client_id": integration.id, "client_secret": integration.secret}.items()},
    )  # fmt: skip
    for response in (in_body, by_basic, raw_json, multipart):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
        assert get_lead(client, lead_id, body["access_token"]).status_code == 200


def test_expired_code_is_refused_and_issues_nothing(client: TestClient, factory: Factory):
    account = factory.account()
    integration = make_integration(client)
    code = code_for(client, account, integration, now=int(time.time()) - 1201)

    response = exchange(client, integration, code)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == oauth_error(400, "Authorization code has expired")
    assert _tokens(factory, account.id) == []


def test_code_still_valid_just_before_twenty_minutes(client: TestClient, factory: Factory):
    account = factory.account()
    integration = make_integration(client)
    code = code_for(client, account, integration, now=int(time.time()) - 1140)
    assert exchange(client, integration, code).status_code == 200


def test_code_used_twice_is_refused_and_revokes_what_it_issued(
    client: TestClient, factory: Factory
):
    account = factory.account()
    lead_id = factory.lead(account)
    integration = make_integration(client)
    code = code_for(client, account, integration)
    first = exchange(client, integration, code).json()
    # the pair has already been rotated once: the replay reaches the descendant too
    second = refresh(client, integration, first["refresh_token"]).json()
    assert get_lead(client, lead_id, second["access_token"]).status_code == 200

    replay = exchange(client, integration, code)

    assert replay.status_code == 400
    assert replay.json() == oauth_error(400, "Authorization code has been revoked")
    for pair in (first, second):
        denied = get_lead(client, lead_id, pair["access_token"])
        assert denied.status_code == 401 and denied.json() == UNAUTHORIZED_API
        again = refresh(client, integration, pair["refresh_token"])
        assert again.status_code == 401
        assert again.json() == revoked_token("Token has been revoked")


def test_wrong_or_missing_redirect_uri(client: TestClient, factory: Factory):
    account = factory.account()
    integration = make_integration(client)
    code = code_for(client, account, integration)

    wrong = exchange(client, integration, code, redirect_uri=integration.redirect_uri + "/x")
    slash = exchange(client, integration, code, redirect_uri=integration.redirect_uri + "/")
    missing = exchange(client, integration, code, redirect_uri="")

    assert wrong.status_code == slash.status_code == missing.status_code == 400
    assert wrong.json() == slash.json() == oauth_error(400, "Invalid redirect URI")
    assert missing.json() == oauth_error(400, "Check the `redirect_uri` parameter")
    assert _tokens(factory, account.id) == []
    # a refused exchange does not spend the code
    assert exchange(client, integration, code).status_code == 200


def test_code_for_a_redirect_uri_other_than_the_current_one(client: TestClient, factory: Factory):
    """The code remembers the redirect_uri it was issued for; the exchange must repeat it."""
    account = factory.account()
    integration = make_integration(client)
    code = code_for(client, account, integration, redirect_uri="https://integration.example/other")
    assert exchange(client, integration, code).json() == oauth_error(400, "Invalid redirect URI")
    ok = exchange(client, integration, code, redirect_uri="https://integration.example/other")
    assert ok.status_code == 200


def test_wrong_secret_unknown_client_and_missing_secret(client: TestClient, factory: Factory):
    account = factory.account()
    integration = make_integration(client)
    code = code_for(client, account, integration)

    answers = [
        exchange(client, integration, code, client_secret="not-the-secret"),
        exchange(client, integration, code, client_secret=""),
        exchange(client, integration, code, client_id=str(uuid.uuid4())),
        exchange(client, integration, code, client_id="not-a-uuid\x00"),
        exchange(client, integration, code, client_id=integration.id.upper()),
    ]
    for response in answers:
        assert response.status_code == 401, response.text
        assert response.json() == CLIENT_FAILED
        assert "www-authenticate" not in response.headers
    by_basic = client.post(
        "/oauth2/access_token",
        data={"grant_type": "authorization_code", "code": code,
              "redirect_uri": integration.redirect_uri},
        headers={"Authorization": basic(integration.id, "wrong")},
    )  # fmt: skip
    assert by_basic.status_code == 401
    assert by_basic.json() == CLIENT_FAILED
    assert by_basic.headers["www-authenticate"] == 'Basic realm="OAuth"'
    assert _tokens(factory, account.id) == []
    assert exchange(client, integration, code).status_code == 200


def test_code_of_another_integration(client: TestClient, factory: Factory):
    account = factory.account()
    mine, other = make_integration(client), make_integration(client)
    code = code_for(client, account, other)
    response = exchange(client, mine, code)
    assert response.status_code == 400
    assert response.json() == oauth_error(400, "Authorization code was not issued to this client")
    assert exchange(client, other, code).status_code == 200


def test_unreadable_and_unknown_codes(client: TestClient, factory: Factory):
    account = factory.account()
    integration = make_integration(client)
    code = code_for(client, account, integration)
    other_account = factory.account()
    forged = [
        "abc",
        code + "x",
        code.replace(f"{account.id}.", f"{other_account.id}.", 1),
        f"{account.id}." + "A" * 64,
        "99999999999999999999." + "A" * 64,
        "0." + "A" * 64,
    ]
    for value in forged:
        response = exchange(client, integration, value)
        assert response.status_code == 400, value
        assert response.json() == oauth_error(400, "Cannot decrypt the authorization code")


def test_bad_requests_name_the_parameter(client: TestClient, factory: Factory):
    account = factory.account()
    integration = make_integration(client)
    code = code_for(client, account, integration)
    creds = {"client_id": integration.id, "client_secret": integration.secret}
    post = client.post
    unsupported = "The authorization grant type is not supported by the authorization server."
    cases = [
        (post("/oauth2/access_token"), oauth_error(400, "Check the `grant_type` parameter")),
        (post("/oauth2/access_token", content=b"{not json"),
         oauth_error(400, "Check the `grant_type` parameter")),
        (post("/oauth2/access_token", json=[1, 2]),
         oauth_error(400, "Check the `grant_type` parameter")),
        (post("/oauth2/access_token", json={**creds, "grant_type": "password"}),
         oauth_error(400, "Check the `grant_type` parameter", unsupported)),
        (post("/oauth2/access_token", json={**creds, "grant_type": 1}),
         oauth_error(400, "Check the `grant_type` parameter")),
        (post("/oauth2/access_token", json={"grant_type": "authorization_code", "code": code}),
         oauth_error(400, "Check the `client_id` parameter")),
        (post("/oauth2/access_token", json={**creds, "grant_type": "authorization_code",
                                            "redirect_uri": integration.redirect_uri}),
         oauth_error(400, "Check the `code` parameter")),
        (post("/oauth2/access_token", json={**creds, "grant_type": "authorization_code",
                                            "code": 12, "redirect_uri": integration.redirect_uri}),
         oauth_error(400, "Check the `code` parameter")),
        (post("/oauth2/access_token", json={**creds, "grant_type": "refresh_token"}),
         oauth_error(400, "Check the `refresh_token` parameter")),
    ]  # fmt: skip
    for response, expected in cases:
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json() == expected
    assert expected["detail"] == INVALID_REQUEST
    assert _tokens(factory, account.id) == []
    assert exchange(client, integration, code).status_code == 200


def test_get_is_not_allowed(client: TestClient):
    assert client.get("/oauth2/access_token").status_code == 405


def test_host_naming_an_account_must_be_the_codes(client: TestClient, factory: Factory):
    account, other = factory.account(), factory.account()
    integration = make_integration(client)
    code = code_for(client, account, integration)
    body = {"client_id": integration.id, "client_secret": integration.secret,
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": integration.redirect_uri}  # fmt: skip

    elsewhere = client.post(
        "/oauth2/access_token", json=body, headers={"Host": f"{other.subdomain}.kommo.test"}
    )
    assert elsewhere.status_code == 400
    assert elsewhere.json() == oauth_error(400, "Cannot decrypt the authorization code")
    home = client.post(
        "/oauth2/access_token", json=body, headers={"Host": f"{account.subdomain}.kommo.test"}
    )
    assert home.status_code == 200, home.text


def test_code_for_a_removed_integration_is_revoked(client: TestClient, factory: Factory):
    from kommodore.integrations import service as integrations
    from tests.oauth.helpers import run

    account = factory.account()
    integration = make_integration(client)
    code = code_for(client, account, integration)

    async def remove(db):  # type: ignore[no-untyped-def]
        return await integrations.remove_and_notify(
            db, account.id, integration.id, int(time.time())
        )

    assert run(client, remove) is not None
    response = exchange(client, integration, code)
    assert response.status_code == 400
    assert response.json() == oauth_error(400, "Authorization code has been revoked")
    assert _tokens(factory, account.id) == []
