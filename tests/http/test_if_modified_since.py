"""``If-Modified-Since`` on the lists of leads, contacts, companies and tasks: only what changed
at or after the header's time, inside the list's statement (with the filters and the view
rights), 204 when nothing did; an unreadable header is ignored."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.db import schema
from kommodore.http.query import modified_since
from tests.factories import NOW, Account, Factory
from tests.parties.helpers import add_party

OLD, MIDDLE, NEW = NOW - 3000, NOW - 2000, NOW - 1000
"""Three ``updated_at``s: each list has one entity updated at each."""


def http_date(seconds: int) -> str:
    """RFC 7231's IMF-fixdate."""
    return formatdate(seconds, usegmt=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784111777),  # IMF-fixdate
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784111777),  # RFC 850
        ("Sun Nov  6 08:49:37 1994", 784111777),  # asctime
        ("Sun, 06 Nov 1994 11:49:37 +0300", 784111777),  # PHP's DateTime::RFC1123
        ("Sun, 06 Nov 1994 08:49:37", 784111777),  # "D, d M Y H:i:s": GMT
        ("  784111777 ", 784111777),  # Unix seconds
        ("garbage", None),
        ("2024-12-11T12:34:56Z", None),
        ("Sun, 06 Nov 1994 25:49:37 GMT", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_header_forms(header: str | None, expected: int | None):
    assert modified_since(header) == expected


@dataclass
class World:
    account: Account
    viewer: int
    """sees only the leads, contacts and companies they are responsible for (view M)"""
    leads: list[int]
    contacts: list[int]
    companies: list[int]
    tasks: list[int]


def _task(factory: Factory, a: Account, user: int, updated_at: int) -> int:
    task_id = factory.id("tasks")
    factory._insert(
        schema.tasks,
        [{"account_id": a.id, "id": task_id, "created_by": user, "updated_by": user,
          "created_at": OLD - 100, "updated_at": updated_at, "responsible_user_id": user,
          "group_id": factory.user_group(a, user), "entity_id": None, "entity_type": None,
          "duration": 0, "is_completed": False, "task_type_id": 1, "text": f"t{task_id}",
          "result_text": None, "result_note_id": None, "complete_till": NOW + 3600}],
    )  # fmt: skip
    return task_id


@pytest.fixture(scope="module")
def world(factory: Factory) -> World:
    a = factory.account()
    viewer = factory.user(a, view="M")
    owners = [a.admin, viewer, a.admin]  # the viewer is responsible for the MIDDLE ones
    times = [OLD, MIDDLE, NEW]
    leads = [
        factory.lead(a, responsible=o, updated_at=t, created_at=OLD - 100)
        for o, t in zip(owners, times, strict=True)
    ]
    parties = {
        kind: [
            add_party(factory, a, kind, o, updated_at=t, created_at=OLD - 100)
            for o, t in zip(owners, times, strict=True)
        ]
        for kind in ("contacts", "companies")
    }
    tasks = [_task(factory, a, o, t) for o, t in zip(owners, times, strict=True)]
    # another account's newer entities never show
    b = factory.account()
    factory.lead(b, updated_at=NOW)
    add_party(factory, b, "contacts", b.admin, updated_at=NOW)
    _task(factory, b, b.admin, NOW)
    return World(a, viewer, leads, parties["contacts"], parties["companies"], tasks)


LISTS = ["leads", "contacts", "companies", "tasks"]


def _get(
    client: TestClient, factory: Factory, w: World, path: str, header: str | None,
    user: int | None = None,
) -> Any:  # fmt: skip
    headers = {"Authorization": f"Bearer {factory.token(w.account, user or w.account.admin)}"}
    if header is not None:
        headers["If-Modified-Since"] = header
    return client.get(path, headers=headers)


def _ids(w: World, kind: str) -> list[int]:
    ids: list[int] = getattr(w, kind)
    return ids


@pytest.mark.parametrize("kind", LISTS)
def test_only_what_changed_since(client: TestClient, factory: Factory, world: World, kind: str):
    """The answer is, key for key, the list filtered by ``updated_at`` from the header's time:
    the entity updated exactly then is in it (at or after), the older one is not."""
    w = world
    _, middle, new = _ids(w, kind)
    response = _get(client, factory, w, f"/api/v4/{kind}", http_date(MIDDLE))
    assert response.status_code == 200, response.text
    filtered = _get(client, factory, w, f"/api/v4/{kind}?filter[updated_at][from]={MIDDLE}", None)
    body, expected = response.json(), filtered.json()
    assert [e["id"] for e in body["_embedded"][kind]] == [middle, new]
    assert body["_embedded"] == expected["_embedded"]
    assert body == {
        "_page": 1,
        "_links": {"self": {"href": f"http://testserver/api/v4/{kind}?page=1&limit=50"}},
        "_embedded": expected["_embedded"],
    }


@pytest.mark.parametrize("kind", LISTS)
def test_nothing_changed_is_204(client: TestClient, factory: Factory, world: World, kind: str):
    response = _get(client, factory, world, f"/api/v4/{kind}", http_date(NEW + 1))
    assert (response.status_code, response.content) == (204, b"")


@pytest.mark.parametrize("kind", LISTS)
def test_with_filters_order_and_unix_seconds(
    client: TestClient, factory: Factory, world: World, kind: str
):
    """With a filter both apply; the order asked for holds; Unix seconds are read too."""
    w = world
    old, middle, new = _ids(w, kind)
    response = _get(
        client, factory, w, f"/api/v4/{kind}?filter[id][]={old}&filter[id][]={new}",
        str(MIDDLE),
    )  # fmt: skip
    assert [e["id"] for e in response.json()["_embedded"][kind]] == [new]
    ordered = _get(client, factory, w, f"/api/v4/{kind}?order[updated_at]=desc", str(OLD))
    assert [e["id"] for e in ordered.json()["_embedded"][kind]] == [new, middle, old]


@pytest.mark.parametrize("kind", ["leads", "contacts", "companies"])
def test_view_rights_inside(client: TestClient, factory: Factory, world: World, kind: str):
    """A user who sees only their own gets their own changed ones, and 204 past them."""
    w = world
    _, middle, _ = _ids(w, kind)
    mine = _get(client, factory, w, f"/api/v4/{kind}", http_date(OLD), user=w.viewer)
    assert [e["id"] for e in mine.json()["_embedded"][kind]] == [middle]
    later = _get(client, factory, w, f"/api/v4/{kind}", http_date(MIDDLE + 1), user=w.viewer)
    assert later.status_code == 204


@pytest.mark.parametrize("kind", LISTS)
@pytest.mark.parametrize("header", ["yesterday", "Sun, 06 Nov 1994 25:49:37 GMT", ""])
def test_unreadable_header_is_ignored(
    client: TestClient, factory: Factory, world: World, kind: str, header: str
):
    w = world
    plain = _get(client, factory, w, f"/api/v4/{kind}", None)
    response = _get(client, factory, w, f"/api/v4/{kind}", header)
    assert response.status_code == 200
    assert response.json() == plain.json()
    assert [e["id"] for e in response.json()["_embedded"][kind]] == _ids(w, kind)
