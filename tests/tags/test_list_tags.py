"""GET /api/v4/leads/tags: whole answers for every filter and its spellings,
search, paging and 204s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.db import schema
from tests.factories import Account, Factory

ORIGIN = "http://testserver"
URL = "/api/v4/leads/tags"


@dataclass
class Tags:
    account: Account
    token: str
    ids: dict[str, int]
    """name -> id, for the lead tags"""
    colors: dict[str, str | None]


@pytest.fixture(scope="module")
def tags(factory: Factory) -> Tags:
    account = factory.account()
    colors: dict[str, str | None] = {
        "vip": "FF8F92", "VIP Gold": "FFCE5A", "cold": None, "Über 50%": "EBEBEB",
        "under_score": None, "warm": "C7DB8C",
    }  # fmt: skip
    ids = {name: factory.tag(account, name, color) for name, color in colors.items()}
    # a contact tag of the same name: another directory, never listed here
    factory._insert(
        schema.tags,
        [{"account_id": account.id, "id": factory.id("tags"), "entity_type": "contacts",
          "name": "vip", "color": None}],
    )  # fmt: skip
    other = factory.account()
    factory.tag(other, "vip", None)
    user = factory.user(account, view="D")
    return Tags(account, factory.token(account, user), ids, colors)


def _get(client: TestClient, tags: Tags, query: str = "") -> Any:
    url = f"{URL}?{query}" if query else URL
    return client.get(url, headers={"Authorization": f"Bearer {tags.token}"})


def _body(tags: Tags, names: list[str], links: dict[str, str], page: int = 1) -> dict[str, Any]:
    items = sorted(({"id": tags.ids[n], "name": n, "color": tags.colors[n]} for n in names),
                   key=lambda t: t["id"])  # fmt: skip
    return {
        "_page": page,
        "_links": {k: {"href": f"{ORIGIN}{URL}{v}"} for k, v in links.items()},
        "_embedded": {"tags": items},
    }


def test_all_lead_tags_by_id(client: TestClient, tags: Tags):
    response = _get(client, tags)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    assert body == _body(tags, list(tags.ids), {"self": "?page=1&limit=50"})
    assert list(body) == ["_page", "_links", "_embedded"]
    assert all(list(t) == ["id", "name", "color"] for t in body["_embedded"]["tags"])


def test_paging(client: TestClient, tags: Tags):
    names = sorted(tags.ids, key=tags.ids.__getitem__)
    assert _get(client, tags, "limit=2").json() == _body(
        tags, names[:2], {"self": "?limit=2&page=1", "next": "?limit=2&page=2"}
    )
    assert _get(client, tags, "limit=2&page=2").json() == _body(
        tags, names[2:4],
        {"self": "?limit=2&page=2", "next": "?limit=2&page=3", "first": "?limit=2&page=1",
         "prev": "?limit=2&page=1"},
        page=2,
    )  # fmt: skip
    assert _get(client, tags, "limit=2&page=3").json() == _body(
        tags, names[4:],
        {"self": "?limit=2&page=3", "first": "?limit=2&page=1", "prev": "?limit=2&page=2"},
        page=3,
    )  # fmt: skip
    past = _get(client, tags, "limit=2&page=4")
    assert past.status_code == 204 and past.content == b""


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("filter[name]=vip", ["vip"]),
        ("filter%5Bname%5D=VIP%20Gold", ["VIP Gold"]),
        ("filter[name]=VIP+Gold", ["VIP Gold"]),
        ("filter[name]=%C3%9Cber%2050%25", ["Über 50%"]),
        ("filter[name]=vip&filter[name]=vip", ["vip"]),
    ],
)
def test_filter_name_is_exact(client: TestClient, tags: Tags, query: str, names: list[str]):
    assert _get(client, tags, query).json() == _body(
        tags, names, {"self": f"?{query}&page=1&limit=50"}
    )


@pytest.mark.parametrize("query", ["filter[name]=VIP", "filter[name]=vi", "filter[name]="])
def test_filter_name_without_exact_match_is_204(client: TestClient, tags: Tags, query: str):
    assert _get(client, tags, query).status_code == 204


@pytest.mark.parametrize(
    ("template", "names"),
    [
        ("filter[id]={vip}", ["vip"]),
        ("filter[id][]={vip}&filter[id][]={cold}", ["vip", "cold"]),
        ("filter[id][0]={vip}&filter[id][1]={cold}", ["vip", "cold"]),
        ("filter%5Bid%5D%5B0%5D={cold}", ["cold"]),
        ("filter[id]={vip}&filter[id]={cold}", ["vip", "cold"]),
        ("filter[id][]={vip}&filter[id][]=abc", ["vip"]),
    ],
)
def test_filter_id(client: TestClient, tags: Tags, template: str, names: list[str]):
    query = template.format(vip=tags.ids["vip"], cold=tags.ids["cold"])
    assert _get(client, tags, query).json() == _body(
        tags, names, {"self": f"?{query}&page=1&limit=50"}
    )


@pytest.mark.parametrize("query", ["filter[id]=abc", "filter[id]=1", "filter[id][]="])
def test_filter_id_matching_nothing_is_204(client: TestClient, tags: Tags, query: str):
    assert _get(client, tags, query).status_code == 204


def test_filter_id_of_another_account_or_directory_is_204(
    client: TestClient, factory: Factory, tags: Tags
):
    contact_tag = factory.id("tags")
    factory._insert(
        schema.tags,
        [{"account_id": tags.account.id, "id": contact_tag, "entity_type": "contacts",
          "name": "contact only", "color": None}],
    )  # fmt: skip
    assert _get(client, tags, f"filter[id]={contact_tag}").status_code == 204


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("query=vip", ["vip", "VIP Gold"]),
        ("query=GOLD", ["VIP Gold"]),
        ("query=%C3%BCBER", ["Über 50%"]),
        ("query=50%25", ["Über 50%"]),
        ("query=_", ["under_score"]),
        ("query=ar", ["warm"]),
        ("query=", ["vip", "VIP Gold", "cold", "Über 50%", "under_score", "warm"]),
        ("query=vip&filter[name]=vip", ["vip"]),
    ],
)
def test_query_is_a_case_insensitive_substring(
    client: TestClient, tags: Tags, query: str, names: list[str]
):
    assert _get(client, tags, query).json() == _body(
        tags, names, {"self": f"?{query}&page=1&limit=50"}
    )


@pytest.mark.parametrize("query", ["query=%25%25", "query=nothing", "query=v_p"])
def test_query_without_match_is_204(client: TestClient, tags: Tags, query: str):
    assert _get(client, tags, query).status_code == 204


def test_account_without_tags_is_204(client: TestClient, factory: Factory):
    account = factory.account()
    response = client.get(
        URL, headers={"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    )
    assert response.status_code == 204 and response.content == b""


def test_limit_is_clamped_to_250(client: TestClient, factory: Factory):
    account = factory.account()
    ids = factory.ids("tags", 251)
    factory._insert(
        schema.tags,
        [{"account_id": account.id, "id": i, "entity_type": "leads", "name": f"t{i}",
          "color": None} for i in ids],
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    body = client.get(f"{URL}?limit=1000", headers=headers).json()
    assert [t["id"] for t in body["_embedded"]["tags"]] == ids[:250]
    assert body["_links"]["next"] == {"href": f"{ORIGIN}{URL}?limit=1000&page=2"}
    second = client.get(f"{URL}?limit=1000&page=2", headers=headers).json()
    assert [t["id"] for t in second["_embedded"]["tags"]] == ids[250:]
    assert len(client.get(URL, headers=headers).json()["_embedded"]["tags"]) == 50


def test_requires_auth(client: TestClient):
    assert client.get(URL).status_code == 401
