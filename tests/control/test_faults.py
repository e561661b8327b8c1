"""Fault and latency injection: each action, each limit, each match, and the journal's mark."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.control.faults import Faults, Match, Rule
from kommodore.http.problems import PAYMENT_REQUIRED_BODY, UNAUTHORIZED_BODY
from tests.conftest import BASE_DOMAIN, Backend
from tests.control.conftest import AUTH, CONTROL_TOKEN
from tests.factories import Factory
from tests.processes import KOMMODORE, free_port, serving


@pytest.fixture(scope="module")
def control(own_backend: Backend) -> Iterator[TestClient]:
    settings = own_backend.settings(control_api=True, control_token=CONTROL_TOKEN)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def kommo(factory: Factory, control: TestClient) -> Iterator[dict[str, str]]:
    account = factory.account()
    yield {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    control.delete("/_kommodore/faults", headers=AUTH)


def _add(control: TestClient, rule: dict[str, Any]) -> dict[str, Any]:
    response = control.post("/_kommodore/faults", json=rule, headers=AUTH)
    assert response.status_code == 201, response.text
    added: dict[str, Any] = response.json()
    return added


def _problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "type": f"https://httpstatus.es/{status}", "status": status,
            "detail": detail, **extra}  # fmt: skip


def test_a_429_with_retry_after_for_the_next_two_matches_then_the_api(
    control: TestClient, kommo: dict[str, str]
) -> None:
    added = _add(control, {"match": {"path": "/api/v4/leads*", "method": "get"}, "status": 429,
                           "times": 2, "retry_after": 3})  # fmt: skip
    assert added == {"id": added["id"], "matched": 0, "remaining": 2, "rule": {
        "match": {"method": "get", "path": "/api/v4/leads*"}, "status": 429, "retry_after": 3,
        "times": 2}}  # fmt: skip
    assert control.get("/api/v4/account", headers=kommo).status_code == 200  # path differs
    assert control.post("/api/v4/leads", json=[{}], headers=kommo).status_code == 200  # method
    for _ in range(2):
        answer = control.get("/api/v4/leads", headers=kommo)
        assert (answer.status_code, answer.headers["retry-after"]) == (429, "3")
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json() == _problem(
            429, "Too Many Requests",
            "You have sent too many requests in a given amount of time. Please try again later.",
            retry_after=3,
        )  # fmt: skip
    assert control.get("/api/v4/leads", headers=kommo).status_code == 200
    assert control.get("/_kommodore/faults", headers=AUTH).json() == {"faults": []}
    journal = control.get("/_kommodore/requests", params={"status": 429},
                          headers=AUTH).json()["requests"]  # fmt: skip
    assert [e["injected"] for e in journal[-2:]] == [f"rule {added['id']}, status 429"] * 2
    assert journal[-1]["reason"] == f"injected by fault rule {added['id']}, status 429"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, UNAUTHORIZED_BODY),
        (402, PAYMENT_REQUIRED_BODY),
        (403, None),
        (500, None),
        (502, None),
        (503, None),
        (504, None),
    ],
)
def test_each_status_comes_with_kommos_body(
    control: TestClient, kommo: dict[str, str], status: int, body: bytes | None
) -> None:
    _add(control, {"status": status, "times": 1})
    answer = control.get("/api/v4/account", headers=kommo)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    expected = {
        403: _problem(403, "Forbidden", "Access denied"),
        500: _problem(500, "ErrInternalServer", "Internal server error"),
        502: _problem(502, "Bad Gateway", "Bad Gateway"),
        503: _problem(503, "Service Unavailable", "Service Unavailable"),
        504: _problem(504, "Gateway Timeout", "Gateway Timeout"),
    }
    if body is not None:
        assert answer.content == body
    else:
        assert answer.json() == expected[status]
    assert control.get("/api/v4/account", headers=kommo).status_code == 200


def test_a_delay_then_the_real_answer(control: TestClient, kommo: dict[str, str]) -> None:
    _add(control, {"match": {"path": "/api/v4/account"}, "delay_ms": 150, "times": 1})
    answer = control.get("/api/v4/account", headers=kommo)
    assert answer.status_code == 200 and "id" in answer.json()
    entry = control.get("/_kommodore/requests", headers=AUTH).json()["requests"][-1]
    assert entry["injected"].endswith("delay 150 ms") and entry["latency_ms"] >= 150


def test_rules_match_on_account_and_integration(
    control: TestClient, factory: Factory, kommo: dict[str, str]
) -> None:
    other = factory.account()
    theirs = {"Authorization": f"Bearer {factory.token(other, other.admin)}"}
    _add(control, {"match": {"account_id": other.id}, "status": 503})
    assert control.get("/api/v4/account", headers=kommo).status_code == 200
    assert control.get("/api/v4/account", headers=theirs).status_code == 503
    assert control.get("/api/v4/account").status_code == 401  # no token: no account, no match
    control.delete("/_kommodore/faults", headers=AUTH)
    _add(control, {"match": {"integration_id": "not-this-one"}, "status": 503})
    assert control.get("/api/v4/account", headers=theirs).status_code == 200


def test_a_time_window(control: TestClient, kommo: dict[str, str]) -> None:
    later = int(time.time() * 1000) + 3_600_000
    _add(control, {"status": 500, "starts_at_ms": later})
    assert control.get("/api/v4/account", headers=kommo).status_code == 200
    control.delete("/_kommodore/faults", headers=AUTH)
    _add(control, {"status": 500, "for_seconds": 3600})
    assert control.get("/api/v4/account", headers=kommo).status_code == 500
    listed = control.get("/_kommodore/faults", headers=AUTH).json()["faults"]
    assert listed[0]["rule"]["ends_at_ms"] > listed[0]["rule"]["starts_at_ms"]


def test_a_probability() -> None:
    faults = Faults(_random=random.Random(7))
    faults.add(Rule(match=Match(path="/api/*"), status=500, probability=0.25))
    hits = sum(faults.pick("GET", "/api/v4/leads", None, None) is not None for _ in range(400))
    assert 60 <= hits <= 140, hits


def test_list_delete_and_reset_clears(control: TestClient, kommo: dict[str, str]) -> None:
    first = _add(control, {"status": 500})
    second = _add(control, {"status": 502})
    assert [f["id"] for f in control.get("/_kommodore/faults", headers=AUTH).json()["faults"]] == [
        first["id"], second["id"]
    ]  # fmt: skip
    assert control.delete(f"/_kommodore/faults/{first['id']}", headers=AUTH).status_code == 204
    assert control.delete(f"/_kommodore/faults/{first['id']}", headers=AUTH).status_code == 404
    assert control.get("/api/v4/account", headers=kommo).status_code == 502
    control.post("/_kommodore/snapshots", json={"name": "faults"}, headers=AUTH)
    assert control.post("/_kommodore/reset", headers=AUTH).status_code == 200
    assert control.get("/_kommodore/faults", headers=AUTH).json() == {"faults": []}
    control.post("/_kommodore/snapshots/faults/restore", headers=AUTH)


@pytest.mark.parametrize(
    ("rule", "detail"),
    [
        ({}, "a rule needs an action: status, delay_ms or drop"),
        ({"status": 200}, "Invalid request body: Invalid enum value 200 - at `$.status`"),
        ({"status": 500, "drop": True}, "drop and status exclude each other"),
        ({"delay_ms": -1}, "delay_ms: from 0 to 120000"),
        ({"status": 500, "times": 0}, "times: at least 1"),
        ({"status": 500, "probability": 0}, "probability: more than 0, at most 1"),
        ({"status": 500, "for_seconds": 1e308}, "for_seconds: more than 0, at most 31622400"),
        ({"status": 500, "match": {"verb": "GET"}}, "Invalid request body: Object contains"),
    ],
)
def test_a_bad_rule_is_a_400_and_adds_nothing(
    control: TestClient, kommo: dict[str, str], rule: dict[str, Any], detail: str
) -> None:
    response = control.post("/_kommodore/faults", json=rule, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail), response.json()
    assert control.get("/_kommodore/faults", headers=AUTH).json() == {"faults": []}


def test_a_dropped_connection_on_the_real_server(own_backend: Backend, factory: Factory) -> None:
    account = factory.account()
    kommo = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    port = free_port()
    env = {**__import__("os").environ, "KOMMODORE_DATABASE_URL": own_backend.url,
           "KOMMODORE_DATA_DIR": str(own_backend.data_dir), "KOMMODORE_CONTROL_API": "true",
           "KOMMODORE_CONTROL_TOKEN": CONTROL_TOKEN, "KOMMODORE_BASE_DOMAIN": BASE_DOMAIN,
           "KOMMODORE_RATE_LIMIT_ENABLED": "false"}  # fmt: skip
    with serving([*KOMMODORE, "serve", "--port", str(port)], port, env):
        base = f"http://127.0.0.1:{port}"
        added = httpx.post(f"{base}/_kommodore/faults", json={"drop": True, "times": 1},
                           headers=AUTH)  # fmt: skip
        assert added.status_code == 201, added.text
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{base}/api/v4/account", headers=kommo)
        assert httpx.get(f"{base}/api/v4/account", headers=kommo).status_code == 200
        journal = httpx.get(f"{base}/_kommodore/requests", headers=AUTH).json()["requests"]
        assert journal[-2]["injected"] == f"rule {added.json()['id']}, dropped connection"
