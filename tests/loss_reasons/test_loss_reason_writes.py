"""POST / PATCH / DELETE /api/v4/leads/loss_reasons: admins only, whole answers,
read back through the GETs; every bad input answers its exact problem and changes nothing.
A deleted reason leaves the leads that carried it (deleted ones too) without a reason."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.factories import NOW, Account, Factory

ORIGIN = "http://testserver"
URL = "/api/v4/leads/loss_reasons"
REASON_KEYS = ["id", "name", "sort", "created_at", "updated_at", "_links"]
MAX_SORT = 2**31 - 1


@dataclass
class Setup:
    account: Account
    admin: str
    user: str
    """a non-admin user's token (who may read but not write)"""


@pytest.fixture
def setup(factory: Factory) -> Setup:
    account = factory.account()
    return Setup(
        account=account,
        admin=factory.token(account, account.admin),
        user=factory.token(account, factory.user(account, view="A")),
    )


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _reason(rid: int, name: str, sort: int, created: int, updated: int) -> dict[str, Any]:
    return {
        "id": rid, "name": name, "sort": sort, "created_at": created, "updated_at": updated,
        "_links": {"self": {"href": f"{ORIGIN}{URL}/{rid}"}},
    }  # fmt: skip


def _list(client: TestClient, token: str) -> Any:
    """The account's reasons as GET lists them; None for the 204 of an account without."""
    response = client.get(URL, headers=_h(token))
    if response.status_code == 204:
        return None
    assert response.status_code == 200
    return response.json()["_embedded"]["loss_reasons"]


def _post(client: TestClient, token: str, body: Any, path: str = URL) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, content=raw, headers=_h(token))


def _problem(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    titles = {400: "Bad Request", 403: "Forbidden", 404: "Not Found",
              422: "Unprocessable Entity"}  # fmt: skip
    body: dict[str, Any] = dict(extra)
    body |= {"title": titles[status], "type": f"https://httpstatus.es/{status}",
             "status": status, "detail": detail}  # fmt: skip
    return body


def _invalid(*items: tuple[str, list[tuple[str, str, str]]]) -> dict[str, Any]:
    """The body for ``(request_id, [(code, path, detail), ...])`` entries."""
    entries = [
        {"request_id": rid, "errors": [{"code": c, "path": p, "detail": d} for c, p, d in errs]}
        for rid, errs in items
    ]
    return _problem(400, "Request validation failed", **{"validation-errors": entries})


def _assert_problem(response: Any, expected: dict[str, Any]) -> None:
    assert response.status_code == expected["status"]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == expected
    assert list(response.json()) == list(expected)


TYPE_STRING = "This value should be of type string."
TYPE_INT = "This value should be of type int."
TYPE_OBJECT = "This value should be of type object."
BLANK = "This value should not be blank."
TOO_LONG = "This value is too long. It should have 255 characters or less."
BAD_CHARS = "This value contains characters not allowed."
SORT_RANGE = f"This value should be between 0 and {MAX_SORT}."
MISSING = "This field is missing."


# -- POST ----------------------------------------------------------------------------------


def test_add_batch_whole_answer_and_read_back(client: TestClient, factory: Factory, setup: Setup):
    """Explicit sorts are kept; a reason without one goes 10 after the largest so far (stored
    or earlier in the batch); request_id is echoed as a string, its index when absent."""
    old = factory.loss_reason(setup.account, "Old", 300)
    other = factory.account()
    factory.loss_reason(other, "Elsewhere", 5000)  # another account's sorts do not count
    before = int(time.time())
    response = _post(client, setup.admin, [
        {"name": "Cheap / Ünïcode", "sort": 50, "request_id": "first"},
        {"name": "No budget"},
        {"name": "Later", "request_id": 7, "unknown_key": True},
        {"name": "Top", "sort": 1000},
        {"name": "After top", "sort": None},
    ])  # fmt: skip
    after = int(time.time())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    assert list(body) == ["_total_items", "_links", "_embedded"]
    items = body["_embedded"]["loss_reasons"]
    ids = [item["id"] for item in items]
    assert len(set(ids)) == 5 and old not in ids
    stamp = items[0]["created_at"]
    assert before <= stamp <= after
    wanted = [("Cheap / Ünïcode", 50, "first"), ("No budget", 310, "1"), ("Later", 320, "7"),
              ("Top", 1000, "3"), ("After top", 1010, "4")]  # fmt: skip
    created = [
        _reason(rid, name, sort, stamp, stamp) | {"request_id": request_id}
        for rid, (name, sort, request_id) in zip(ids, wanted, strict=True)
    ]
    assert body == {
        "_total_items": 5,
        "_links": {"self": {"href": f"{ORIGIN}{URL}"}},
        "_embedded": {"loss_reasons": created},
    }
    assert all(list(item) == [*REASON_KEYS, "request_id"] for item in items)
    stored = [{k: v for k, v in r.items() if k != "request_id"} for r in created]
    everything = [*stored, _reason(old, "Old", 300, NOW - 10, NOW - 5)]
    assert _list(client, setup.admin) == sorted(everything, key=lambda r: (r["sort"], r["id"]))
    for reason in stored:
        got = client.get(f"{URL}/{reason['id']}", headers=_h(setup.user))
        assert got.json() == reason


def test_first_reason_of_an_account_sorts_at_10_and_a_lone_object_is_a_batch(
    client: TestClient, setup: Setup
):
    response = _post(client, setup.admin, {"name": "Only"}, f"{URL}?x=1")
    assert response.status_code == 200
    body = response.json()
    (item,) = body["_embedded"]["loss_reasons"]
    stamp = item["created_at"]
    expected = _reason(item["id"], "Only", 10, stamp, stamp)
    assert body == {
        "_total_items": 1,
        "_links": {"self": {"href": f"{ORIGIN}{URL}?x=1"}},
        "_embedded": {"loss_reasons": [expected | {"request_id": "0"}]},
    }
    assert _list(client, setup.admin) == [expected]


def test_default_sort_stops_at_the_largest_storable(
    client: TestClient, factory: Factory, setup: Setup
):
    factory.loss_reason(setup.account, "Last", MAX_SORT)
    response = _post(client, setup.admin, [{"name": "A"}, {"name": "B"}])
    assert [r["sort"] for r in response.json()["_embedded"]["loss_reasons"]] == [MAX_SORT] * 2


def test_same_name_twice_makes_two_reasons(client: TestClient, setup: Setup):
    response = _post(client, setup.admin, [{"name": "Twin"}, {"name": "Twin"}])
    assert [r["name"] for r in _list(client, setup.admin)] == ["Twin", "Twin"]
    assert len({r["id"] for r in response.json()["_embedded"]["loss_reasons"]}) == 2


def test_boundaries_are_accepted(client: TestClient, setup: Setup):
    response = _post(client, setup.admin, [
        {"name": "x" * 255, "sort": 0}, {"name": " padded ", "sort": MAX_SORT},
        {"name": "float sort", "sort": 20.0},
    ])  # fmt: skip
    assert response.status_code == 200
    got = [(r["name"], r["sort"]) for r in _list(client, setup.admin)]
    assert got == [("x" * 255, 0), ("float sort", 20), (" padded ", MAX_SORT)]


BAD_POSTS: list[tuple[str, Any, dict[str, Any]]] = [
    ("empty", b"", _problem(400, "Request data can not be empty")),
    ("whitespace", b"  \n", _problem(400, "Request data can not be empty")),
    ("null", b"null", _problem(400, "Request data can not be empty")),
    ("empty array", b"[]", _problem(400, "Request data can not be empty")),
    ("not json", b"[{\"name\": ", _problem(400, "Request body is not valid JSON")),
    ("a string", b"\"name\"", _problem(400, "Request data must be an array of objects")),
    ("a number", b"5", _problem(400, "Request data must be an array of objects")),
    ("251 items", [{"name": f"r{i}"} for i in range(251)], _problem(422, "Limit 250 per page")),
    ("name missing", [{"sort": 5}], _invalid(("0", [("FieldMissing", "name", MISSING)]))),
    ("name null", [{"name": None}], _invalid(("0", [("InvalidType", "name", TYPE_STRING)]))),
    ("name int", [{"name": 5}], _invalid(("0", [("InvalidType", "name", TYPE_STRING)]))),
    ("name list", [{"name": ["a"]}], _invalid(("0", [("InvalidType", "name", TYPE_STRING)]))),
    ("name empty", [{"name": ""}], _invalid(("0", [("InvalidValue", "name", BLANK)]))),
    ("name blank", [{"name": " \t\n"}], _invalid(("0", [("InvalidValue", "name", BLANK)]))),
    ("name 256", [{"name": "y" * 256}], _invalid(("0", [("InvalidValue", "name", TOO_LONG)]))),
    ("name NUL", [{"name": "a\u0000b"}], _invalid(("0", [("InvalidValue", "name", BAD_CHARS)]))),
    ("sort string", [{"name": "a", "sort": "5"}],
     _invalid(("0", [("InvalidType", "sort", TYPE_INT)]))),
    ("sort bool", [{"name": "a", "sort": True}],
     _invalid(("0", [("InvalidType", "sort", TYPE_INT)]))),
    ("sort fraction", [{"name": "a", "sort": 1.5}],
     _invalid(("0", [("InvalidType", "sort", TYPE_INT)]))),
    ("sort negative", [{"name": "a", "sort": -1}],
     _invalid(("0", [("InvalidValue", "sort", SORT_RANGE)]))),
    ("sort too big", [{"name": "a", "sort": MAX_SORT + 1}],
     _invalid(("0", [("InvalidValue", "sort", SORT_RANGE)]))),
    ("item not an object", [{"name": "fine"}, "x", 5],
     _invalid(("1", [("InvalidType", "", TYPE_OBJECT)]),
              ("2", [("InvalidType", "", TYPE_OBJECT)]))),
    ("one bad item refuses the batch",
     [{"name": "good", "request_id": "ok"}, {"name": 1, "sort": "x", "request_id": "bad"},
      {"sort": 3}],
     _invalid(("bad", [("InvalidType", "name", TYPE_STRING), ("InvalidType", "sort", TYPE_INT)]),
              ("2", [("FieldMissing", "name", MISSING)]))),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "expected"), BAD_POSTS, ids=[c[0] for c in BAD_POSTS])
def test_bad_post_changes_nothing(
    client: TestClient,
    factory: Factory,
    setup: Setup,
    case: str,
    body: Any,
    expected: dict[str, Any],
):
    factory.loss_reason(setup.account, "Existing", 100)
    before = _list(client, setup.admin)
    _assert_problem(_post(client, setup.admin, body), expected)
    assert _list(client, setup.admin) == before


def test_exactly_250_items_are_accepted(client: TestClient, setup: Setup):
    response = _post(client, setup.admin, [{"name": f"r{i}"} for i in range(250)])
    assert response.json()["_total_items"] == 250
    assert len(_list(client, setup.admin)) == 250


# -- PATCH ---------------------------------------------------------------------------------


def _patch(client: TestClient, token: str, rid: int | str, body: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.patch(f"{URL}/{rid}", content=raw, headers=_h(token))


@pytest.mark.parametrize(
    ("change", "name", "sort"),
    [
        ({"name": "Renamed / Ünïcode"}, "Renamed / Ünïcode", 100),
        ({"sort": 7}, "Too expensive", 7),
        ({"name": "Both", "sort": 0, "id": 1, "request_id": "r"}, "Both", 0),
        ({"name": "Too expensive", "sort": 100}, "Too expensive", 100),
        ({"unknown": 1}, "Too expensive", 100),
    ],
)
def test_patch_whole_answer_and_read_back(
    client: TestClient,
    factory: Factory,
    setup: Setup,
    change: dict[str, Any],
    name: str,
    sort: int,
):
    """Only the keys sent change; ``updated_at`` becomes now on every accepted PATCH; the
    answer is the reason as GET shows it (no request_id); other keys are ignored."""
    rid = factory.loss_reason(setup.account)
    untouched = factory.loss_reason(setup.account, "Untouched", 200)
    before = int(time.time())
    response = _patch(client, setup.admin, rid, change)
    after = int(time.time())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    assert before <= body["updated_at"] <= after
    expected = _reason(rid, name, sort, NOW - 10, body["updated_at"])
    assert body == expected
    assert list(body) == REASON_KEYS
    assert client.get(f"{URL}/{rid}", headers=_h(setup.admin)).json() == expected
    everything = [expected, _reason(untouched, "Untouched", 200, NOW - 10, NOW - 5)]
    assert _list(client, setup.admin) == sorted(everything, key=lambda r: (r["sort"], r["id"]))


BAD_PATCHES: list[tuple[str, Any, dict[str, Any]]] = [
    ("empty", b"", _problem(400, "Request data can not be empty")),
    ("null", b"null", _problem(400, "Request data can not be empty")),
    ("empty object", b"{}", _problem(400, "Request data can not be empty")),
    ("not json", b"{\"name\"", _problem(400, "Request body is not valid JSON")),
    ("an array", [{"name": "x"}], _problem(400, "Request data must be an object")),
    ("a string", b"\"x\"", _problem(400, "Request data must be an object")),
    ("name null", {"name": None}, _invalid(("0", [("InvalidType", "name", TYPE_STRING)]))),
    ("name int", {"name": 3}, _invalid(("0", [("InvalidType", "name", TYPE_STRING)]))),
    ("name blank", {"name": "  "}, _invalid(("0", [("InvalidValue", "name", BLANK)]))),
    ("name 256", {"name": "z" * 256}, _invalid(("0", [("InvalidValue", "name", TOO_LONG)]))),
    ("sort null", {"sort": None}, _invalid(("0", [("InvalidType", "sort", TYPE_INT)]))),
    ("sort string", {"sort": "1"}, _invalid(("0", [("InvalidType", "sort", TYPE_INT)]))),
    ("sort negative", {"sort": -5}, _invalid(("0", [("InvalidValue", "sort", SORT_RANGE)]))),
    ("both bad, request_id kept", {"name": "", "sort": 2**40, "request_id": "mine"},
     _invalid(("mine", [("InvalidValue", "name", BLANK), ("InvalidValue", "sort", SORT_RANGE)]))),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "expected"), BAD_PATCHES, ids=[c[0] for c in BAD_PATCHES])
def test_bad_patch_changes_nothing(
    client: TestClient,
    factory: Factory,
    setup: Setup,
    case: str,
    body: Any,
    expected: dict[str, Any],
):
    rid = factory.loss_reason(setup.account)
    before = _list(client, setup.admin)
    _assert_problem(_patch(client, setup.admin, rid, body), expected)
    assert _list(client, setup.admin) == before


@pytest.mark.parametrize("rid", ["999999999999", "0", str(2**63 - 1), str(2**64)])
def test_patch_unknown_is_404(client: TestClient, factory: Factory, setup: Setup, rid: str):
    factory.loss_reason(setup.account)
    before = _list(client, setup.admin)
    response = _patch(client, setup.admin, rid, {"name": "x"})
    _assert_problem(response, _problem(404, "Loss reason not found"))
    assert _list(client, setup.admin) == before


def test_patch_and_delete_of_another_accounts_reason_are_404(
    client: TestClient, factory: Factory, setup: Setup
):
    other = factory.account()
    foreign = factory.loss_reason(other, "Theirs", 100)
    lead = factory.lead(other, stage="lost", loss_reason_id=foreign)
    other_admin = factory.token(other, other.admin)
    before = _list(client, other_admin)
    lead_before = client.get(f"/api/v4/leads/{lead}", headers=_h(other_admin)).json()
    not_found = _problem(404, "Loss reason not found")
    _assert_problem(_patch(client, setup.admin, foreign, {"name": "Mine now"}), not_found)
    _assert_problem(client.delete(f"{URL}/{foreign}", headers=_h(setup.admin)), not_found)
    assert _list(client, other_admin) == before
    assert client.get(f"/api/v4/leads/{lead}", headers=_h(other_admin)).json() == lead_before


# -- DELETE --------------------------------------------------------------------------------


def _lead(client: TestClient, token: str, lead_id: int) -> Any:
    response = client.get(f"/api/v4/leads/{lead_id}?with=loss_reason", headers=_h(token))
    assert response.status_code == 200
    return response.json()


def test_delete_clears_the_reason_from_its_leads(
    client: TestClient, factory: Factory, setup: Setup
):
    account = setup.account
    reason = factory.loss_reason(account, "Gone", 100)
    kept = factory.loss_reason(account, "Kept", 200)
    carrier = factory.lead(account, stage="lost", loss_reason_id=reason, closed_at=NOW - 60)
    deleted = factory.lead(account, stage="lost", loss_reason_id=reason, is_deleted=True)
    bystander = factory.lead(account, stage="lost", loss_reason_id=kept)
    actor = factory.user(account, admin=True)
    token = factory.token(account, actor)
    carrier_before = _lead(client, token, carrier)
    bystander_before = _lead(client, token, bystander)
    assert carrier_before["loss_reason_id"] == reason
    assert carrier_before["_embedded"]["loss_reason"] == [
        _reason(reason, "Gone", 100, NOW - 10, NOW - 5)
    ]

    before = int(time.time())
    response = client.delete(f"{URL}/{reason}", headers=_h(token))
    after = int(time.time())
    assert response.status_code == 204
    assert response.content == b""

    carrier_after = _lead(client, token, carrier)
    assert before <= carrier_after["updated_at"] <= after
    embedded = {k: v for k, v in carrier_before["_embedded"].items() if k != "loss_reason"}
    assert carrier_after == carrier_before | {
        "loss_reason_id": None,
        "updated_by": actor,
        "updated_at": carrier_after["updated_at"],
        "_embedded": embedded,
    }
    assert list(carrier_after) == list(carrier_before)
    assert _lead(client, token, bystander) == bystander_before
    # a deleted lead is not readable through the API: its row shows the same change
    with factory.engine.begin() as conn:
        row = conn.execute(
            sa.text(
                "SELECT loss_reason_id, updated_by, updated_at, status_id FROM leads "
                "WHERE account_id = :a AND id = :i"
            ),
            {"a": account.id, "i": deleted},
        ).one()
    assert row[0] is None and row[1] == actor and before <= row[2] <= after and row[3] == 143

    not_found = _problem(404, "Loss reason not found")
    _assert_problem(client.get(f"{URL}/{reason}", headers=_h(token)), not_found)
    assert _list(client, token) == [_reason(kept, "Kept", 200, NOW - 10, NOW - 5)]
    _assert_problem(client.delete(f"{URL}/{reason}", headers=_h(token)), not_found)


def test_delete_of_the_last_reason_leaves_an_empty_list(
    client: TestClient, factory: Factory, setup: Setup
):
    reason = factory.loss_reason(setup.account)
    assert client.delete(f"{URL}/{reason}", headers=_h(setup.admin)).status_code == 204
    assert _list(client, setup.admin) is None


@pytest.mark.parametrize("rid", ["999999999999", "0", str(2**63 - 1), str(2**64)])
def test_delete_unknown_is_404(client: TestClient, factory: Factory, setup: Setup, rid: str):
    factory.loss_reason(setup.account)
    before = _list(client, setup.admin)
    response = client.delete(f"{URL}/{rid}", headers=_h(setup.admin))
    _assert_problem(response, _problem(404, "Loss reason not found"))
    assert _list(client, setup.admin) == before


# -- who may write -------------------------------------------------------------------------


def test_non_admins_may_not_write(client: TestClient, factory: Factory, setup: Setup):
    """403 "Access denied" before the body is even read; nothing changes."""
    reason = factory.loss_reason(setup.account)
    lead = factory.lead(setup.account, stage="lost", loss_reason_id=reason)
    before = _list(client, setup.admin)
    lead_before = _lead(client, setup.admin, lead)
    denied = _problem(403, "Access denied")
    _assert_problem(_post(client, setup.user, [{"name": "x"}]), denied)
    _assert_problem(_post(client, setup.user, b"not json"), denied)
    _assert_problem(_patch(client, setup.user, reason, {"name": "x"}), denied)
    _assert_problem(_patch(client, setup.user, 999999999999, {"name": "x"}), denied)
    _assert_problem(client.delete(f"{URL}/{reason}", headers=_h(setup.user)), denied)
    assert _list(client, setup.admin) == before
    assert _lead(client, setup.admin, lead) == lead_before


def test_writes_need_a_token(client: TestClient, factory: Factory, setup: Setup):
    reason = factory.loss_reason(setup.account)
    before = _list(client, setup.admin)
    assert client.post(URL, json=[{"name": "x"}]).status_code == 401
    assert client.patch(f"{URL}/{reason}", json={"name": "x"}).status_code == 401
    assert client.delete(f"{URL}/{reason}").status_code == 401
    assert _list(client, setup.admin) == before
