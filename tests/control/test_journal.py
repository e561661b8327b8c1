"""The request journal: every request to Kommo's paths, with the reason for each refusal, and
no token or secret ever stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.control.journal import (
    REDACTED,
    Entry,
    Journal,
    Principal,
    Record,
    redact_body,
    redact_query,
    secret_keys,
)
from tests.conftest import Backend
from tests.control.conftest import AUTH, CONTROL_TOKEN
from tests.factories import Account, Factory


@pytest.fixture(scope="module")
def control(own_backend: Backend) -> Iterator[TestClient]:
    settings = own_backend.settings(
        control_api=True, control_token=CONTROL_TOKEN, journal_size=5, journal_body_bytes=400
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _journal(control: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = control.get("/_kommodore/requests", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


def _last(control: TestClient, account: Account | None = None) -> dict[str, Any]:
    params = {"account_id": account.id} if account else {}
    return _journal(control, **params)[-1]


def test_an_answered_request_is_recorded_whole(control: TestClient, factory: Factory) -> None:
    account = factory.account()
    token = factory.token(account, account.admin)
    lead = factory.lead(account, name="journaled")
    answer = control.get(f"/api/v4/leads/{lead}?with=contacts",
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 200
    entry = _last(control, account)
    assert set(entry) == {
        "id", "at_ms", "method", "path", "query", "status", "latency_ms", "principal",
        "request_body", "response_body", "reason", "injected",
    }  # fmt: skip
    assert {k: entry[k] for k in ("method", "path", "query", "status", "reason", "injected")} == {
        "method": "GET", "path": f"/api/v4/leads/{lead}", "query": "with=contacts",
        "status": 200, "reason": None, "injected": None,
    }  # fmt: skip
    assert entry["principal"]["account_id"] == account.id
    assert entry["principal"]["user_id"] == account.admin
    assert entry["request_body"] is None
    assert entry["response_body"].startswith(f'{{"id":{lead},"name":"journaled"')
    assert entry["response_body"].endswith("…")  # the body is cut at journal_body_bytes
    assert entry["latency_ms"] >= 0 and entry["at_ms"] > 0
    assert token not in json.dumps(entry)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "token: no Authorization header"),
        ({"Authorization": "Basic abc"}, "token: not a bearer token"),
        ({"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"},
         "token: bad signature"),
    ],
)  # fmt: skip
def test_a_401_says_which_token_check_failed(
    control: TestClient, headers: dict[str, str], reason: str
) -> None:
    answer = control.get("/api/v4/leads/1", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "Invalid user name or password"  # the wire says no more
    entry = _last(control)
    assert (entry["status"], entry["principal"]) == (401, None)
    assert entry["reason"].startswith(reason), entry["reason"]
    assert "eyJ" not in json.dumps(entry)


def test_a_revoked_token_and_an_admin_only_refusal(control: TestClient, factory: Factory) -> None:
    account = factory.account()
    revoked = factory.token(account, account.admin)
    factory.execute("UPDATE api_tokens SET revoked_at = 1 WHERE account_id = :a", a=account.id)
    refused = control.get("/api/v4/account", headers={"Authorization": f"Bearer {revoked}"})
    assert refused.status_code == 401
    assert _last(control)["reason"] == "token: token unknown or revoked"

    user = factory.user(account)
    token = factory.token(account, user)
    refused = control.post("/api/v4/leads/custom_fields", json=[{"name": "x", "type": "text"}],
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert (refused.status_code, refused.json()["detail"]) == (403, "Access denied")
    entry = _last(control, account)
    assert entry["reason"] == f"admins only, and user {user} is not an admin"


def test_a_validation_refusal_names_each_path(control: TestClient, factory: Factory) -> None:
    account = factory.account()
    token = factory.token(account, account.admin)
    answer = control.post("/api/v4/leads", json=[{"name": 5}, {"price": "x"}],
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 400
    entry = _last(control, account)
    assert entry["request_body"] == '[{"name":5},{"price":"x"}]'
    assert "request_id 0: name: " in entry["reason"]
    assert "request_id 1: price: " in entry["reason"]


def test_secrets_never_reach_the_journal(control: TestClient) -> None:
    form = {"client_id": "cid", "client_secret": "s3cr3t-value", "grant_type": "authorization_code",
            "code": "the-auth-code", "redirect_uri": "https://example.test/cb"}  # fmt: skip
    control.post("/oauth2/access_token", data=form)
    control.post("/oauth2/access_token", json={**form, "refresh_token": "rt-value"})
    control.get("/oauth", params={"client_id": "cid", "code": "query-code", "state": "s"})
    stored = json.dumps(_journal(control, path="/oauth"))
    for secret in ("s3cr3t-value", "the-auth-code", "rt-value", "query-code"):
        assert secret not in stored
    assert REDACTED in stored or "%5Bredacted%5D" in stored


def test_filters_the_account_bound_and_clearing(control: TestClient, factory: Factory) -> None:
    account = factory.account()
    headers = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    for _ in range(7):
        control.get("/api/v4/account", headers=headers)
    control.get("/api/v4/leads/0", headers=headers)
    mine = _journal(control, account_id=account.id)
    assert len(mine) == 5  # journal_size per account
    assert [e["id"] for e in mine] == sorted(e["id"] for e in mine)
    assert [e["path"] for e in _journal(control, account_id=account.id, path="/api/v4/leads")] == [
        "/api/v4/leads/0"
    ]
    assert all(e["status"] == 204 for e in _journal(control, account_id=account.id, status=204))
    after = mine[-2]["id"]
    assert [e["id"] for e in _journal(control, account_id=account.id, after=after)] == [
        mine[-1]["id"]
    ]
    assert _journal(control, account_id=account.id, since=mine[-1]["at_ms"] + 10**9) == []
    bad = control.get("/_kommodore/requests", params={"limit": 0}, headers=AUTH)
    assert bad.status_code == 400
    assert control.delete("/_kommodore/requests", headers=AUTH).status_code == 204
    assert _journal(control, account_id=account.id) == []


def test_control_requests_and_other_paths_are_not_journaled(control: TestClient) -> None:
    control.delete("/_kommodore/requests", headers=AUTH)
    control.get("/healthz")
    control.get("/_kommodore/snapshots", headers=AUTH)
    assert _journal(control) == []


def test_redaction_rules() -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    body = json.dumps({"access_token": "a", "nested": [{"password": "p", "note": f"x {jwt} y"}],
                       "code": "PHONE"}).encode()  # fmt: skip
    api = json.loads(redact_body(body, "application/json", 10_000) or "")
    assert api == {"access_token": REDACTED, "nested": [{"password": REDACTED,
                   "note": f"x {REDACTED} y"}], "code": "PHONE"}  # fmt: skip
    oauth = json.loads(
        redact_body(body, "application/json", 10_000, secret_keys("/oauth2/x")) or ""
    )
    assert oauth["code"] == REDACTED
    assert redact_body(b'{"token": "abc', "application/json", 10_000) == REDACTED
    assert redact_query("limit=5&with=contacts") == "limit=5&with=contacts"
    assert (
        redact_query(f"client_secret=x&q={jwt}") == "client_secret=%5Bredacted%5D&q=%5Bredacted%5D"
    )


def test_a_record_is_kept_raw_and_read_redacted() -> None:
    """Recording keeps the bytes as they came (cheap); the one way out, ``find``, redacts."""
    journal = Journal(per_account=2, body_bytes=60)
    who = Principal(account_id=7, user_id=8, integration_id="i")
    journal.add(
        Record(
            journal.next_id(),
            1000,
            "POST",
            "/oauth2/access_token",
            b"code=c1&x=1",
            400,
            0.0012345,
            None,
            b"client_secret=s1&code=c2",
            b"application/x-www-form-urlencoded",
            b'{"hint": "code expired", "refresh_token": "r1"}',
            b"application/json",
            None,
            None,
        )
    )
    for n in range(3):
        journal.add(
            Record(
                journal.next_id(),
                2000 + n,
                "GET",
                f"/api/v4/leads/{n}",
                b"",
                200,
                0.0,
                who,
                b"",
                b"",
                b'{"id": 1, "name": "a long lead name"}',
                b"application/hal+json",
                None,
                None,
            )
        )
    assert journal.find(method="POST") == [
        Entry(
            id=1,
            at_ms=1000,
            method="POST",
            path="/oauth2/access_token",
            query="code=%5Bredacted%5D&x=1",
            status=400,
            latency_ms=1.234,
            principal=None,
            request_body="client_secret=%5Bredacted%5D&code=%5Bredacted%5D",
            response_body='{"hint":"code expired","refresh_token":"[redacted]"}',
            reason="code expired",
        )
    ]
    assert journal.find(account_id=7) == [
        Entry(id=n + 2, at_ms=2000 + n, method="GET", path=f"/api/v4/leads/{n}", query="",
              status=200, latency_ms=0.0, principal=who, request_body=None,
              response_body='{"id": 1, "name": "a long lead name"}', reason=None)
        for n in (1, 2)
    ]  # fmt: skip


def test_a_body_cap_of_zero_keeps_no_body(own_backend: Backend, factory: Factory) -> None:
    settings = own_backend.settings(
        control_api=True, control_token=CONTROL_TOKEN, journal_body_bytes=0
    )
    account = factory.account()
    kommo = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/v4/leads", json=[{"name": 5}], headers=kommo).status_code == 400
        entry = _journal(client, account_id=account.id)[-1]
    # the validation's words are read from the answer's body, which is not kept either
    assert (entry["request_body"], entry["response_body"], entry["reason"]) == (None, None, None)


def test_switched_off_nothing_is_recorded_and_faults_still_apply(
    own_backend: Backend, factory: Factory
) -> None:
    settings = own_backend.settings(control_api=True, control_token=CONTROL_TOKEN, journal=False)
    account = factory.account()
    kommo = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    with TestClient(create_app(settings)) as client:
        added = client.post("/_kommodore/faults", json={"status": 503, "times": 1}, headers=AUTH)
        assert added.status_code == 201
        assert client.get("/api/v4/account", headers=kommo).status_code == 503
        assert client.get("/api/v4/account", headers=kommo).status_code == 200
        assert _journal(client) == []
