"""POST /api/v4/leads/tags: whole answers read back through GET /leads/tags; an
existing name answers the existing tag unchanged; every bad input answers its exact problem
and creates nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.db import schema
from tests.factories import Account, Factory

ORIGIN = "http://testserver"
URL = "/api/v4/leads/tags"
ADD_KEYS = ["id", "name", "color", "request_id"]


@dataclass
class Setup:
    account: Account
    token: str
    """a plain user's token: adding tags needs no admin"""


@pytest.fixture
def setup(factory: Factory) -> Setup:
    account = factory.account()
    return Setup(account, factory.token(account, factory.user(account, view="D", add="D")))


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _post(client: TestClient, token: str, body: Any, path: str = URL) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, content=raw, headers=_h(token))


def _list(client: TestClient, token: str) -> Any:
    """Every lead tag of the account by id (None for the 204 of an account without)."""
    response = client.get(f"{URL}?limit=250", headers=_h(token))
    if response.status_code == 204:
        return None
    assert response.status_code == 200
    return response.json()["_embedded"]["tags"]


def _tag(tag_id: int, name: str, color: str | None, request_id: str | None = None) -> Any:
    tag: dict[str, Any] = {"id": tag_id, "name": name, "color": color}
    return tag if request_id is None else tag | {"request_id": request_id}


def _answer(tags: list[dict[str, Any]], query: str = "") -> dict[str, Any]:
    return {
        "_total_items": len(tags),
        "_links": {"self": {"href": f"{ORIGIN}{URL}{query}"}},
        "_embedded": {"tags": tags},
    }


def test_add_whole_answer_and_read_back(client: TestClient, factory: Factory, setup: Setup):
    """An existing name answers the stored tag (its colour wins over the item's); a new name is
    created once per batch with its first item's colour (upper-cased); names are
    case-sensitive; request_id is echoed as a string, the index when absent."""
    vip = factory.tag(setup.account, "vip", "FF8F92")
    cold = factory.tag(setup.account, "cold", None)
    response = _post(client, setup.token, [
        {"name": "vip", "color": "EBEBEB", "request_id": "a"},
        {"name": "new / Ünïcode", "color": "ffce5a"},
        {"name": "plain", "color": None, "request_id": 12},
        {"name": "new / Ünïcode", "color": "EBEBEB", "request_id": "dup"},
        {"name": "VIP"},
        {"name": "cold", "color": "c7db8c", "unknown": [1]},
    ])  # fmt: skip
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    assert list(body) == ["_total_items", "_links", "_embedded"]
    got = body["_embedded"]["tags"]
    new, plain, upper = got[1]["id"], got[2]["id"], got[4]["id"]
    assert len({vip, cold, new, plain, upper}) == 5
    assert body == _answer([
        _tag(vip, "vip", "FF8F92", "a"),
        _tag(new, "new / Ünïcode", "FFCE5A", "1"),
        _tag(plain, "plain", None, "12"),
        _tag(new, "new / Ünïcode", "FFCE5A", "dup"),
        _tag(upper, "VIP", None, "4"),
        _tag(cold, "cold", None, "5"),
    ])  # fmt: skip
    assert all(list(tag) == ADD_KEYS for tag in got)
    assert _list(client, setup.token) == sorted(
        [_tag(vip, "vip", "FF8F92"), _tag(cold, "cold", None),
         _tag(new, "new / Ünïcode", "FFCE5A"), _tag(plain, "plain", None),
         _tag(upper, "VIP", None)],
        key=lambda t: t["id"],
    )  # fmt: skip
    found = client.get(f"{URL}?filter[name]=new / Ünïcode", headers=_h(setup.token)).json()
    assert found["_embedded"]["tags"] == [_tag(new, "new / Ünïcode", "FFCE5A")]


def test_adding_again_answers_the_same_tag(client: TestClient, setup: Setup):
    first = _post(client, setup.token, [{"name": "again", "color": "247ba0"}]).json()
    second = _post(client, setup.token, [{"name": "again", "color": "EBEBEB"}]).json()
    tag_id = first["_embedded"]["tags"][0]["id"]
    assert second == _answer([_tag(tag_id, "again", "247BA0", "0")])
    assert _list(client, setup.token) == [_tag(tag_id, "again", "247BA0")]


def test_a_lone_object_is_a_batch_of_one_and_self_keeps_the_query(client: TestClient, setup: Setup):
    response = _post(client, setup.token, {"name": "solo"}, f"{URL}?a=1&b[]=2")
    tag_id = response.json()["_embedded"]["tags"][0]["id"]
    assert response.json() == _answer([_tag(tag_id, "solo", None, "0")], "?a=1&b[]=2")
    assert _list(client, setup.token) == [_tag(tag_id, "solo", None)]


def test_other_directories_and_accounts_are_not_reused(
    client: TestClient, factory: Factory, setup: Setup
):
    """A contact tag or another account's lead tag of the same name is another tag."""
    contact_tag = factory.id("tags")
    factory._insert(
        schema.tags,
        [{"account_id": setup.account.id, "id": contact_tag, "entity_type": "contacts",
          "name": "shared", "color": None}],
    )  # fmt: skip
    other = factory.account()
    foreign = factory.tag(other, "shared", "FF8F92")
    response = _post(client, setup.token, [{"name": "shared"}])
    tag_id = response.json()["_embedded"]["tags"][0]["id"]
    assert tag_id not in (contact_tag, foreign)
    assert response.json() == _answer([_tag(tag_id, "shared", None, "0")])
    other_token = factory.token(other, other.admin)
    assert _list(client, other_token) == [_tag(foreign, "shared", "FF8F92")]


def test_every_colour_of_the_spec_is_accepted(client: TestClient, setup: Setup):
    colours = [
        "EBEBEB", "D0D0D0", "F2DDF7", "D1A4DC", "FF8F92", "FFC8C8", "C7DB8C", "DDEBB5", "8699DA",
        "AABDFF", "FFCE5A", "FFE193", "90CDB0", "C6F4DE", "A9A5D7", "D8D5FF", "86C0FC", "832161",
        "6A0F49", "0C7C59", "10599D", "9D2B32", "247BA0",
    ]  # fmt: skip
    items = [{"name": f"c{i}", "color": c.lower() if i % 2 else c} for i, c in enumerate(colours)]
    response = _post(client, setup.token, items)
    assert [t["color"] for t in response.json()["_embedded"]["tags"]] == colours
    assert [t["color"] for t in _list(client, setup.token)] == colours


def test_boundaries_are_accepted(client: TestClient, setup: Setup):
    names = ["n" * 255, " padded ", "x"]
    response = _post(client, setup.token, [{"name": n} for n in names])
    assert response.status_code == 200
    assert [t["name"] for t in _list(client, setup.token)] == names


def test_exactly_250_items_are_accepted(client: TestClient, setup: Setup):
    response = _post(client, setup.token, [{"name": f"t{i}"} for i in range(250)])
    assert response.json()["_total_items"] == 250
    assert len(_list(client, setup.token)) == 250


TYPE_STRING = "This value should be of type string."
TYPE_OBJECT = "This value should be of type object."
BLANK = "This value should not be blank."
TOO_LONG = "This value is too long. It should have 255 characters or less."
BAD_CHARS = "This value contains characters not allowed."
MISSING = "This field is missing."
NOT_A_CHOICE = "The value you selected is not a valid choice."


def _problem(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    titles = {400: "Bad Request", 422: "Unprocessable Entity"}
    body: dict[str, Any] = dict(extra)
    body |= {"title": titles[status], "type": f"https://httpstatus.es/{status}",
             "status": status, "detail": detail}  # fmt: skip
    return body


def _invalid(*items: tuple[str, list[tuple[str, str, str]]]) -> dict[str, Any]:
    entries = [
        {"request_id": rid, "errors": [{"code": c, "path": p, "detail": d} for c, p, d in errs]}
        for rid, errs in items
    ]
    return _problem(400, "Request validation failed", **{"validation-errors": entries})


BAD_POSTS: list[tuple[str, Any, dict[str, Any]]] = [
    ("empty", b"", _problem(400, "Request data can not be empty")),
    ("null", b"null", _problem(400, "Request data can not be empty")),
    ("empty array", b"[]", _problem(400, "Request data can not be empty")),
    ("not json", b"[{\"name\": \"a\"", _problem(400, "Request body is not valid JSON")),
    ("a string", b"\"tag\"", _problem(400, "Request data must be an array of objects")),
    ("251 items", [{"name": f"t{i}"} for i in range(251)], _problem(422, "Limit 250 per page")),
    ("name missing", [{"color": "EBEBEB"}], _invalid(("0", [("FieldMissing", "name", MISSING)]))),
    ("empty item", [{}], _invalid(("0", [("FieldMissing", "name", MISSING)]))),
    ("name null", [{"name": None}], _invalid(("0", [("InvalidType", "name", TYPE_STRING)]))),
    ("name int", [{"name": 1}], _invalid(("0", [("InvalidType", "name", TYPE_STRING)]))),
    ("name object", [{"name": {"a": 1}}], _invalid(("0", [("InvalidType", "name", TYPE_STRING)]))),
    ("name empty", [{"name": ""}], _invalid(("0", [("InvalidValue", "name", BLANK)]))),
    ("name blank", [{"name": "   "}], _invalid(("0", [("InvalidValue", "name", BLANK)]))),
    ("name 256", [{"name": "n" * 256}], _invalid(("0", [("InvalidValue", "name", TOO_LONG)]))),
    ("name NUL", [{"name": "a\u0000"}], _invalid(("0", [("InvalidValue", "name", BAD_CHARS)]))),
    ("color int", [{"name": "a", "color": 255}],
     _invalid(("0", [("InvalidType", "color", TYPE_STRING)]))),
    ("color not in the list", [{"name": "a", "color": "FF0000"}],
     _invalid(("0", [("NotSupportedChoice", "color", NOT_A_CHOICE)]))),
    ("color with #", [{"name": "a", "color": "#FF8F92"}],
     _invalid(("0", [("NotSupportedChoice", "color", NOT_A_CHOICE)]))),
    ("color empty", [{"name": "a", "color": ""}],
     _invalid(("0", [("NotSupportedChoice", "color", NOT_A_CHOICE)]))),
    ("items not objects", [{"name": "fine"}, "x", None],
     _invalid(("1", [("InvalidType", "", TYPE_OBJECT)]),
              ("2", [("InvalidType", "", TYPE_OBJECT)]))),
    ("one bad item refuses the batch",
     [{"name": "good"}, {"name": "", "color": "red", "request_id": "bad"}, {"name": "vip"}],
     _invalid(("bad", [("InvalidValue", "name", BLANK),
                       ("NotSupportedChoice", "color", NOT_A_CHOICE)]))),
    ("an existing name with a bad colour is refused too", [{"name": "vip", "color": "nope"}],
     _invalid(("0", [("NotSupportedChoice", "color", NOT_A_CHOICE)]))),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "expected"), BAD_POSTS, ids=[c[0] for c in BAD_POSTS])
def test_bad_post_creates_nothing(
    client: TestClient,
    factory: Factory,
    setup: Setup,
    case: str,
    body: Any,
    expected: dict[str, Any],
):
    vip = factory.tag(setup.account, "vip", "FF8F92")
    response = _post(client, setup.token, body)
    assert response.status_code == expected["status"]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == expected
    assert list(response.json()) == list(expected)
    assert _list(client, setup.token) == [_tag(vip, "vip", "FF8F92")]


def test_adding_needs_a_token(client: TestClient, setup: Setup):
    assert client.post(URL, json=[{"name": "x"}]).status_code == 401
    assert _list(client, setup.token) is None


def test_other_methods_are_not_allowed(client: TestClient, setup: Setup):
    response = client.patch(URL, json=[{"name": "x"}], headers=_h(setup.token))
    assert response.status_code == 405
    assert _list(client, setup.token) is None
