"""GET /api/v4/leads/loss_reasons[/{id}]: whole answers compared with the spec's shape,
ordered by ``sort``; 204 for an account without reasons, 404 "Loss reason not found"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import NOW, Account, Factory

ORIGIN = "http://testserver"
REASON_KEYS = ["id", "name", "sort", "created_at", "updated_at", "_links"]


@dataclass
class Reasons:
    account: Account
    token: str
    user_token: str
    expected: list[dict[str, Any]]


@pytest.fixture(scope="module")
def reasons(factory: Factory) -> Reasons:
    account = factory.account()
    made = [
        (factory.loss_reason(account, "No budget", 300), "No budget", 300),
        (factory.loss_reason(account, "Chose a competitor / Ünïcode", 100),
         "Chose a competitor / Ünïcode", 100),
        (factory.loss_reason(account, "No response", 200), "No response", 200),
    ]  # fmt: skip
    expected = [
        {"id": rid, "name": name, "sort": sort, "created_at": NOW - 10, "updated_at": NOW - 5,
         "_links": {"self": {"href": f"{ORIGIN}/api/v4/leads/loss_reasons/{rid}"}}}
        for rid, name, sort in sorted(made, key=lambda r: (r[2], r[0]))
    ]  # fmt: skip
    return Reasons(
        account=account,
        token=factory.token(account, account.admin),
        user_token=factory.token(account, factory.user(account, view="M")),
        expected=expected,
    )


def _get(client: TestClient, token: str, path: str, query: str = "") -> Any:
    url = f"{path}?{query}" if query else path
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("query", ["", "page=1&limit=1"])
def test_list_whole_answer(client: TestClient, reasons: Reasons, query: str):
    """Not paged: every reason, by sort; ``self`` is the request URL as sent."""
    response = _get(client, reasons.token, "/api/v4/leads/loss_reasons", query)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    self_href = f"{ORIGIN}/api/v4/leads/loss_reasons" + (f"?{query}" if query else "")
    assert body == {
        "_total_items": 3,
        "_links": {"self": {"href": self_href}},
        "_embedded": {"loss_reasons": reasons.expected},
    }
    assert list(body) == ["_total_items", "_links", "_embedded"]
    for item in body["_embedded"]["loss_reasons"]:
        assert list(item) == REASON_KEYS


@pytest.mark.parametrize("index", [0, 1, 2])
def test_get_whole_answer(client: TestClient, reasons: Reasons, index: int):
    want = reasons.expected[index]
    response = _get(client, reasons.token, f"/api/v4/leads/loss_reasons/{want['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    assert body == want
    assert list(body) == REASON_KEYS


def test_every_user_may_read(client: TestClient, reasons: Reasons):
    assert _get(client, reasons.user_token, "/api/v4/leads/loss_reasons").status_code == 200
    path = f"/api/v4/leads/loss_reasons/{reasons.expected[0]['id']}"
    assert _get(client, reasons.user_token, path).json() == reasons.expected[0]


def test_account_without_reasons_is_204(client: TestClient, factory: Factory):
    account = factory.account()
    response = _get(client, factory.token(account, account.admin), "/api/v4/leads/loss_reasons")
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize("reason_id", ["999999999", "0", str(2**63 - 1), str(2**64)])
def test_unknown_id_is_404(client: TestClient, reasons: Reasons, reason_id: str):
    response = _get(client, reasons.token, f"/api/v4/leads/loss_reasons/{reason_id}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "title": "Not Found",
        "type": "https://httpstatus.es/404",
        "status": 404,
        "detail": "Loss reason not found",
    }


def test_other_accounts_reason_is_404(client: TestClient, factory: Factory, reasons: Reasons):
    other = factory.account()
    foreign = factory.loss_reason(other)
    response = _get(client, reasons.token, f"/api/v4/leads/loss_reasons/{foreign}")
    assert response.status_code == 404


def test_no_token_is_401(client: TestClient):
    assert client.get("/api/v4/leads/loss_reasons").status_code == 401


def test_non_ascii_and_slashes_are_not_escaped(client: TestClient, reasons: Reasons):
    raw = _get(client, reasons.token, "/api/v4/leads/loss_reasons").content
    assert "Chose a competitor / Ünïcode".encode() in raw
