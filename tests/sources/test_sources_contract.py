"""GET /api/v4/sources[/{id}]: whole answers compared with the spec's shape.

Admin only; a token sees its own integration's sources and the account-owned ones
(``integration_id`` NULL), never another integration's; ``filter[external_id]`` narrows the
list; nothing to show is 204.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import Account, Factory
from tests.sources.helpers import integration_token, source

ORIGIN = "http://testserver"
SOURCE_KEYS = [
    "id", "name", "pipeline_id", "external_id", "default", "origin_code", "services", "_links",
]  # fmt: skip
WHATSAPP = [
    {"type": "whatsapp",
     "params": {"waba": True, "is_supports_list_message": False},
     "pages": [{"name": "Main line", "id": "+31612345678", "link": "https://wa.me/31612345678"}]}
]  # fmt: skip


@dataclass
class Sources:
    account: Account
    integration: str
    token: str
    other_token: str
    user_token: str
    mine: dict[str, Any]
    owned: dict[str, Any]
    theirs: dict[str, Any]
    """Expected objects: this integration's, the account's (NULL), another integration's."""


def _expected(
    source_id: int, name: str, pipeline_id: int, external_id: str, default: bool,
    origin_code: str | None, services: list[Any],
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": source_id, "name": name, "pipeline_id": pipeline_id, "external_id": external_id,
        "default": default, "origin_code": origin_code, "services": services,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/sources/{source_id}"}},
    }  # fmt: skip


@pytest.fixture(scope="module")
def setup(factory: Factory) -> Sources:
    account = factory.account()
    mine_integration, other_integration = str(uuid.uuid4()), str(uuid.uuid4())
    owned = source(
        factory, account, name="Website form", external_id="web-form-1", integration=None,
        default=True,
    )  # fmt: skip
    mine = source(
        factory, account, name="WhatsApp / Ünïcode", external_id="wa-31612345678",
        integration=mine_integration, origin_code="waba", services=WHATSAPP,
        pipeline_id=account.other_pipeline,
    )  # fmt: skip
    theirs = source(
        factory, account, name="Theirs", external_id="web-form-1-theirs",
        integration=other_integration,
    )  # fmt: skip
    return Sources(
        account=account,
        integration=mine_integration,
        token=integration_token(factory, account, account.admin, mine_integration),
        other_token=integration_token(factory, account, account.admin, other_integration),
        user_token=integration_token(
            factory, account, factory.user(account, view="A"), mine_integration
        ),
        mine=_expected(
            mine,
            "WhatsApp / Ünïcode",
            account.other_pipeline,
            "wa-31612345678",
            False,
            "waba",
            WHATSAPP,
        ),
        owned=_expected(owned, "Website form", account.main_pipeline, "web-form-1", True, None, []),
        theirs=_expected(
            theirs, "Theirs", account.main_pipeline, "web-form-1-theirs", False, None, []
        ),
    )


def _get(client: TestClient, token: str, path: str, query: str = "") -> Any:
    url = f"{path}?{query}" if query else path
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def _list_body(items: list[dict[str, Any]], query: str = "") -> dict[str, Any]:
    href = f"{ORIGIN}/api/v4/sources" + (f"?{query}" if query else "")
    return {
        "_total_items": len(items),
        "_links": {"self": {"href": href}},
        "_embedded": {"sources": items},
    }


def _ok(response: Any) -> Any:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    return response.json()


def test_list_whole_answer(client: TestClient, setup: Sources):
    """The integration's own source and the account-owned one, in id order; not the other
    integration's."""
    body = _ok(_get(client, setup.token, "/api/v4/sources"))
    assert body == _list_body(sorted([setup.owned, setup.mine], key=lambda s: s["id"]))
    assert list(body) == ["_total_items", "_links", "_embedded"]
    for item in body["_embedded"]["sources"]:
        assert list(item) == SOURCE_KEYS


def test_another_integration_sees_its_own(client: TestClient, setup: Sources):
    body = _ok(_get(client, setup.other_token, "/api/v4/sources"))
    assert body == _list_body(sorted([setup.owned, setup.theirs], key=lambda s: s["id"]))


@pytest.mark.parametrize(
    ("query", "which"),
    [
        ("filter[external_id]=wa-31612345678", ["mine"]),
        ("filter%5Bexternal_id%5D=web-form-1", ["owned"]),
        ("filter[external_id][]=web-form-1&filter[external_id][]=wa-31612345678",
         ["owned", "mine"]),
        ("filter[external_id][0]=wa-31612345678&filter[external_id][1]=nope", ["mine"]),
        ("filter[external_id]=web-form-1&filter[external_id]=web-form-1", ["owned"]),
    ],
)  # fmt: skip
def test_filter_by_external_id(client: TestClient, setup: Sources, query: str, which: list[str]):
    body = _ok(_get(client, setup.token, "/api/v4/sources", query))
    items = sorted((getattr(setup, w) for w in which), key=lambda s: s["id"])
    assert body == _list_body(items, query)


@pytest.mark.parametrize(
    "query",
    ["filter[external_id]=nope", "filter[external_id]=web-form-1-theirs", "filter[external_id]="],
)
def test_no_match_is_204(client: TestClient, setup: Sources, query: str):
    response = _get(client, setup.token, "/api/v4/sources", query)
    assert response.status_code == 204
    assert response.content == b""


def test_account_without_sources_is_204(client: TestClient, factory: Factory):
    account = factory.account()
    token = integration_token(factory, account, account.admin, str(uuid.uuid4()))
    response = _get(client, token, "/api/v4/sources")
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize("which", ["mine", "owned"])
def test_get_whole_answer(client: TestClient, setup: Sources, which: str):
    want = getattr(setup, which)
    body = _ok(_get(client, setup.token, f"/api/v4/sources/{want['id']}"))
    assert body == want
    assert list(body) == SOURCE_KEYS


@pytest.mark.parametrize("source_id", ["theirs", "999999999", "0", str(2**63 - 1), str(2**64)])
def test_unknown_or_foreign_id_is_204(client: TestClient, setup: Sources, source_id: str):
    if source_id == "theirs":
        source_id = str(setup.theirs["id"])
    response = _get(client, setup.token, f"/api/v4/sources/{source_id}")
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize("path", ["/api/v4/sources", "/api/v4/sources/{id}"])
def test_non_admin_is_403(client: TestClient, setup: Sources, path: str):
    response = _get(client, setup.user_token, path.format(id=setup.mine["id"]))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "title": "Forbidden",
        "type": "https://httpstatus.es/403",
        "status": 403,
        "detail": "Access denied",
    }


def test_no_token_is_401(client: TestClient):
    assert client.get("/api/v4/sources").status_code == 401


def test_non_ascii_and_slashes_are_not_escaped(client: TestClient, setup: Sources):
    raw = _get(client, setup.token, f"/api/v4/sources/{setup.mine['id']}").content
    assert "WhatsApp / Ünïcode".encode() in raw
    assert b"https://wa.me/31612345678" in raw
