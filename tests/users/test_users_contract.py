"""GET /api/v4/users and /users/{id}: whole answers compared with the spec's shapes.

Admin only (403 otherwise), paged by at most 250 with ``_total_items``, ``_page``,
``_page_count`` and ``_links`` self/next/first/prev/last; an unknown id is 204.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.db import schema
from tests.factories import NOW, Account, Factory, rights
from tests.users.helpers import full_user, role

ORIGIN = "http://testserver"
WITH_VALUES = ("role", "group", "uuid", "amojo_id", "user_rank", "phone_number")
KEY_ORDER = [
    "id", "name", "email", "lang", "uuid", "amojo_id", "user_rank", "phone_number", "rights",
    "_links", "_embedded",
]  # fmt: skip
RIGHTS_ORDER = [
    "leads", "contacts", "companies", "tasks", "mail_access", "catalog_access", "status_rights",
    "is_admin", "is_free", "is_active", "group_id", "role_id",
]  # fmt: skip
ENVELOPE_ORDER = ["_total_items", "_page", "_page_count", "_links", "_embedded"]


@dataclass
class Users:
    account: Account
    token: str
    rows: list[dict[str, Any]]
    """Every user of the account in id order, the admin first, as written."""
    role_names: dict[int, str]
    group_names: dict[int, str]
    member: int
    member_token: str


@pytest.fixture(scope="module")
def users(factory: Factory) -> Users:
    account = factory.account()
    manager = role(factory, account, "Manager")
    status_rights = [
        {"entity_type": "leads", "pipeline_id": account.main_pipeline,
         "status_id": account.stages["second"][1], "rights": {"view": "A", "edit": "A",
                                                              "delete": "A"}},
    ]  # fmt: skip
    rows = [
        full_user(
            factory, account, name="Ana Souza", email="ana@example.com", lang="pt",
            uuid="0c6b1d7e-8f0a-4d6c-9a53-3a8e0c3f1b21",
            amojo_id="1f2e3d4c-5b6a-4978-8a7b-6c5d4e3f2a10", group_id=account.groups["two"],
            role_id=manager, phone_number="+5511999990000", user_rank="master",
            rights=rights("G", status_rights),
        ),
        full_user(factory, account, name="Free Viewer", is_free=True, is_active=False),
        full_user(factory, account, name="Ünïcode / Name", lang="es", user_rank="newbie"),
    ]  # fmt: skip
    admin_row = {
        "id": account.admin, "name": f"User {account.admin}",
        "email": f"u{account.admin}@example.com", "lang": "en", "uuid": None, "amojo_id": None,
        "is_admin": True, "is_free": False, "is_active": True,
        "group_id": account.groups["one"], "role_id": None, "phone_number": None,
        "user_rank": None, "rights": rights("A"),
    }  # fmt: skip
    member = rows[0]["id"]
    return Users(
        account=account,
        token=factory.token(account, account.admin),
        rows=[admin_row, *rows],
        role_names={manager: "Manager"},
        group_names={0: "Main", account.groups["one"]: "One", account.groups["two"]: "Two"},
        member=member,
        member_token=factory.token(account, member),
    )


def expected_user(users: Users, row: dict[str, Any], with_: frozenset[str]) -> dict[str, Any]:
    stored = row["rights"]
    body: dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "lang": row["lang"],
    }
    for key in ("uuid", "amojo_id", "user_rank", "phone_number"):
        if key in with_:
            body[key] = row[key]
    body["rights"] = {
        "leads": stored["leads"], "contacts": stored["contacts"],
        "companies": stored["companies"], "tasks": stored["tasks"],
        "mail_access": stored["mail_access"], "catalog_access": stored["catalog_access"],
        "status_rights": stored["status_rights"], "is_admin": row["is_admin"],
        "is_free": row["is_free"], "is_active": row["is_active"], "group_id": row["group_id"],
        "role_id": row["role_id"],
    }  # fmt: skip
    body["_links"] = {"self": {"href": f"{ORIGIN}/api/v4/users/{row['id']}/"}}
    embedded: dict[str, Any] = {}
    if "role" in with_:
        role_id = row["role_id"]
        embedded["roles"] = (
            [] if role_id is None else [{"id": role_id, "name": users.role_names[role_id]}]
        )
    if "group" in with_:
        group_id = row["group_id"] or 0
        embedded["groups"] = [{"id": group_id, "name": users.group_names[group_id]}]
    if embedded:
        body["_embedded"] = embedded
    return body


def _get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    return client.get(path, params=params or None, headers={"Authorization": f"Bearer {token}"})


def _check_user(body: dict[str, Any]) -> None:
    assert list(body) == [k for k in KEY_ORDER if k in body]
    assert list(body["rights"]) == RIGHTS_ORDER
    if "_embedded" in body:
        assert list(body["_embedded"]) == [k for k in ("roles", "groups") if k in body["_embedded"]]


def _combinations() -> list[frozenset[str]]:
    singles = [frozenset({w}) for w in WITH_VALUES]
    pairs = [frozenset(p) for p in itertools.combinations(("role", "group", "uuid"), 2)]
    return [frozenset(), *singles, *pairs, frozenset(WITH_VALUES)]


@pytest.mark.parametrize("with_", _combinations(), ids=lambda w: ",".join(sorted(w)) or "none")
def test_list_whole_answer_for_each_with(client: TestClient, users: Users, with_: frozenset[str]):
    query = f"with={','.join(sorted(with_))}" if with_ else ""
    response = client.get(
        f"/api/v4/users?{query}" if query else "/api/v4/users",
        headers={"Authorization": f"Bearer {users.token}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    paged = f"{query + '&' if query else ''}page=1&limit=50"
    self_href = f"{ORIGIN}/api/v4/users?{paged}"
    last = self_href
    assert body == {
        "_total_items": 4,
        "_page": 1,
        "_page_count": 1,
        "_links": {"self": {"href": self_href}, "last": {"href": last}},
        "_embedded": {"users": [expected_user(users, row, with_) for row in users.rows]},
    }
    assert list(body) == ENVELOPE_ORDER
    for user in body["_embedded"]["users"]:
        _check_user(user)


@pytest.mark.parametrize("with_", _combinations(), ids=lambda w: ",".join(sorted(w)) or "none")
def test_get_whole_answer_for_each_with(client: TestClient, users: Users, with_: frozenset[str]):
    row = users.rows[1]
    params = {"with": ",".join(sorted(with_))} if with_ else {}
    response = _get(client, users.token, f"/api/v4/users/{row['id']}", **params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    assert body == expected_user(users, row, with_)
    _check_user(body)


def test_user_in_default_group_without_role(client: TestClient, users: Users):
    """``group_id`` is null in ``rights`` for the default group, which ``with=group`` names."""
    row = users.rows[3]
    body = _get(client, users.token, f"/api/v4/users/{row['id']}", **{"with": "role,group"}).json()
    assert body["rights"]["group_id"] is None
    assert body["_embedded"] == {"roles": [], "groups": [{"id": 0, "name": "Main"}]}


def test_self_link_with_trailing_slash_answers_without_redirect(client: TestClient, users: Users):
    row = users.rows[1]
    href = _get(client, users.token, f"/api/v4/users/{row['id']}").json()["_links"]["self"]["href"]
    assert href.endswith(f"/api/v4/users/{row['id']}/")
    response = client.get(
        href, headers={"Authorization": f"Bearer {users.token}"}, follow_redirects=False
    )
    assert response.status_code == 200
    assert response.json() == expected_user(users, row, frozenset())


@pytest.mark.parametrize("path", ["/api/v4/users", "/api/v4/users/{id}"])
def test_non_admin_is_403(client: TestClient, users: Users, path: str):
    response = _get(client, users.member_token, path.format(id=users.member))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "title": "Forbidden",
        "type": "https://httpstatus.es/403",
        "status": 403,
        "detail": "Access denied",
    }


def test_no_token_is_401(client: TestClient):
    assert client.get("/api/v4/users").status_code == 401


@pytest.mark.parametrize("user_id", ["999999999", "0", str(2**63 - 1), str(2**64)])
def test_unknown_id_is_204(client: TestClient, users: Users, user_id: str):
    response = _get(client, users.token, f"/api/v4/users/{user_id}")
    assert response.status_code == 204
    assert response.content == b""


def test_other_accounts_user_is_204(client: TestClient, factory: Factory, users: Users):
    other = factory.account()
    response = _get(client, users.token, f"/api/v4/users/{other.admin}")
    assert response.status_code == 204


# -- paging ------------------------------------------------------------------------------------


def _href(query: str) -> dict[str, str]:
    return {"href": f"{ORIGIN}/api/v4/users?{query}"}


def test_paging_links_on_every_page(client: TestClient, users: Users):
    ids = [row["id"] for row in users.rows]
    pages = []
    for number in (1, 2):
        body = _get(client, users.token, "/api/v4/users", limit="2", page=str(number)).json()
        assert list(body) == ENVELOPE_ORDER
        assert (body["_total_items"], body["_page"], body["_page_count"]) == (4, number, 2)
        pages.append(body)
    assert [u["id"] for u in pages[0]["_embedded"]["users"]] == ids[:2]
    assert [u["id"] for u in pages[1]["_embedded"]["users"]] == ids[2:]
    assert pages[0]["_links"] == {
        "self": _href("limit=2&page=1"),
        "next": _href("limit=2&page=2"),
        "last": _href("limit=2&page=2"),
    }
    assert pages[1]["_links"] == {
        "self": _href("limit=2&page=2"),
        "first": _href("limit=2&page=1"),
        "prev": _href("limit=2&page=1"),
        "last": _href("limit=2&page=2"),
    }


def test_middle_page_has_all_links(client: TestClient, users: Users):
    body = _get(client, users.token, "/api/v4/users", page="2", limit="1").json()
    assert [u["id"] for u in body["_embedded"]["users"]] == [users.rows[1]["id"]]
    assert body["_page_count"] == 4
    assert body["_links"] == {
        "self": _href("page=2&limit=1"),
        "next": _href("page=3&limit=1"),
        "first": _href("page=1&limit=1"),
        "prev": _href("page=1&limit=1"),
        "last": _href("page=4&limit=1"),
    }


def test_page_past_the_end_is_204(client: TestClient, users: Users):
    response = _get(client, users.token, "/api/v4/users", limit="2", page="3")
    assert response.status_code == 204
    assert response.content == b""


@pytest.fixture(scope="module")
def crowd(factory: Factory) -> tuple[str, list[int]]:
    """An account of 251 users (the admin and 250 more): a token and every id in order."""
    account = factory.account()
    ids = factory.ids("users", 250)
    factory._insert(
        schema.users,
        [{"account_id": account.id, "id": uid, "name": f"User {uid}",
          "email": f"u{uid}@example.com", "lang": "en", "uuid": None, "amojo_id": None,
          "is_admin": False, "is_free": False, "is_active": True, "group_id": None,
          "role_id": None, "phone_number": None, "user_rank": None,
          "rights": json.dumps(rights("A")), "created_at": NOW, "updated_at": NOW}
         for uid in ids],
    )  # fmt: skip
    return factory.token(account, account.admin), [account.admin, *ids]


def test_limit_is_clamped_to_250(client: TestClient, crowd: tuple[str, list[int]]):
    token, ids = crowd
    body = _get(client, token, "/api/v4/users", limit="1000").json()
    assert (body["_total_items"], body["_page"], body["_page_count"]) == (251, 1, 2)
    assert [u["id"] for u in body["_embedded"]["users"]] == ids[:250]
    assert body["_links"] == {
        "self": _href("limit=1000&page=1"),
        "next": _href("limit=1000&page=2"),
        "last": _href("limit=1000&page=2"),
    }
    second = _get(client, token, "/api/v4/users", limit="1000", page="2").json()
    assert [u["id"] for u in second["_embedded"]["users"]] == ids[250:]


@pytest.mark.parametrize("limit", [None, "0", "-5", "abc"])
def test_default_limit_is_50(client: TestClient, crowd: tuple[str, list[int]], limit: str | None):
    token, ids = crowd
    params = {} if limit is None else {"limit": limit}
    body = _get(client, token, "/api/v4/users", **params).json()
    assert (body["_total_items"], body["_page_count"]) == (251, 6)
    assert [u["id"] for u in body["_embedded"]["users"]] == ids[:50]
    assert "next" in body["_links"]
