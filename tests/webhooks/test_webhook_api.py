"""``GET/POST/DELETE /api/v4/webhooks``: admins only, a destination names its
webhook, at most 100 an account; every bad input answers its exact problem and changes nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import Account, Factory
from tests.webhooks.helpers import add_webhook, webhook_row

PATH = "/api/v4/webhooks"
HTTPS = "https://example.com/hooks/kommo"


def _auth(factory: Factory, account: Account, user: int | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {factory.token(account, user or account.admin)}"}


def _validation(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "validation-errors": [{"request_id": "0", "errors": entries}],
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request validation failed",
    }


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": f"https://httpstatus.es/{status}",
        "status": status,
        "detail": detail,
    }


def _list(client: TestClient, headers: dict[str, str], query: str = "") -> Any:
    response = client.get(f"{PATH}{query}", headers=headers)
    if response.status_code == 204:
        assert response.content == b""
        return None
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/hal+json"
    return response.json()


def test_subscribe_list_update_in_place_and_delete(client: TestClient, factory: Factory) -> None:
    account = factory.account()
    headers = _auth(factory, account)
    assert _list(client, headers) is None

    before = int(time.time())
    created = client.post(
        PATH, headers=headers, json={"destination": HTTPS, "settings": ["add_lead", "status_lead"]}
    )
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/hal+json"
    hook = created.json()
    assert list(hook) == [
        "id", "destination", "created_at", "updated_at", "account_id", "created_by", "sort",
        "disabled", "settings",
    ]  # fmt: skip
    assert isinstance(hook["id"], int)
    assert before <= hook["created_at"] == hook["updated_at"] <= int(time.time())
    assert hook == {
        "id": hook["id"], "destination": HTTPS, "created_at": hook["created_at"],
        "updated_at": hook["created_at"], "account_id": account.id, "created_by": account.admin,
        "sort": 1, "disabled": False, "settings": ["add_lead", "status_lead"],
    }  # fmt: skip
    other = client.post(
        PATH, headers=headers,
        json={"destination": "http://hooks.example.net:9/x?a=1", "settings": ["delete_lead"],
              "sort": 5},
    ).json()  # fmt: skip
    assert other["sort"] == 5 and other["settings"] == ["delete_lead"]

    listed = _list(client, headers)
    assert list(listed) == ["_total_items", "_embedded"]
    assert listed == {"_total_items": 2, "_embedded": {"webhooks": [hook, other]}}

    # the same destination updates in place: id, created_* kept; settings deduplicated
    updated = client.post(
        PATH,
        headers=headers,
        json={"destination": HTTPS, "settings": ["update_lead", "note_lead", "update_lead"],
              "sort": 9},
    )  # fmt: skip
    assert updated.status_code == 201, updated.text
    assert updated.json() == {
        **hook, "updated_at": updated.json()["updated_at"], "sort": 9,
        "settings": ["update_lead", "note_lead"],
    }  # fmt: skip
    assert updated.json()["updated_at"] >= hook["updated_at"]
    listed = _list(client, headers)  # ordered by sort, then id
    assert listed == {"_total_items": 2, "_embedded": {"webhooks": [other, updated.json()]}}
    # without sort, an update keeps it
    again = client.post(
        PATH, headers=headers, json={"destination": HTTPS, "settings": ["add_lead"]}
    )
    assert again.json()["sort"] == 9

    # filter[destination] is exact
    assert _list(client, headers, f"?filter[destination]={HTTPS}") == {
        "_total_items": 1,
        "_embedded": {"webhooks": [again.json()]},
    }
    assert _list(client, headers, "?filter[destination]=https://example.com/hooks") is None
    assert _list(client, headers, f"?filter[destination][]={HTTPS}") is None

    deleted = client.request("DELETE", PATH, headers=headers, json={"destination": HTTPS})
    assert deleted.status_code == 204 and deleted.content == b""
    assert "content-type" not in deleted.headers
    assert _list(client, headers) == {"_total_items": 1, "_embedded": {"webhooks": [other]}}
    gone = client.request("DELETE", PATH, headers=headers, json={"destination": HTTPS})
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.json() == _problem(404, "Not Found", "Webhook not found")


LONG = "https://example.com/" + "a" * 2029  # 2049 characters

BAD_BODIES: list[tuple[Any, int, dict[str, Any]]] = [
    (b"", 400, _problem(400, "Bad Request", "Request data can not be empty")),
    (b"[]", 400, _problem(400, "Bad Request", "Request data can not be empty")),
    (b"{}", 400, _problem(400, "Bad Request", "Request data can not be empty")),
    (b"{", 400, _problem(400, "Bad Request", "Request body is not valid JSON")),
    (
        [{"destination": HTTPS, "settings": ["add_lead"]}],
        400,
        _validation(
            [{"code": "InvalidType", "path": "", "detail": "This value should be of type object."}]
        ),
    ),
    (
        {"destination": 5, "settings": "add_lead"},
        400,
        _validation([
            {"code": "InvalidType", "path": "destination",
             "detail": "This value should be of type string."},
            {"code": "InvalidType", "path": "settings",
             "detail": "This value should be of type array."},
        ]),
    ),
    (
        {"settings": [], "sort": "x"},
        400,
        _validation([
            {"code": "FieldMissing", "path": "destination", "detail": "This field is missing."},
            {"code": "InvalidValue", "path": "settings",
             "detail": "This collection should contain 1 element or more."},
            {"code": "InvalidType", "path": "sort", "detail": "This value should be of type int."},
        ]),
    ),
    (
        {"destination": "ftp://example.com/x", "settings": ["add_lead", "eat_lead", 3],
         "sort": -1},
        400,
        _validation([
            {"code": "InvalidValue", "path": "destination",
             "detail": "This value is not a valid URL."},
            {"code": "NotSupportedChoice", "path": "settings.1",
             "detail": "The value you selected is not a valid choice."},
            {"code": "InvalidType", "path": "settings.2",
             "detail": "This value should be of type string."},
            {"code": "InvalidValue", "path": "sort",
             "detail": "This value should be between 0 and 2147483647."},
        ]),
    ),
    (
        {"destination": LONG, "settings": ["add_lead"]},
        400,
        _validation([
            {"code": "InvalidValue", "path": "destination",
             "detail": "This value is too long. It should have 2048 characters or less."},
        ]),
    ),
    (
        {"destination": "https://exa mple.com/", "settings": ["add_lead"]},
        400,
        _validation([
            {"code": "InvalidValue", "path": "destination",
             "detail": "This value is not a valid URL."},
        ]),
    ),
    (
        {"destination": "http:///path", "settings": None},
        400,
        _validation([
            {"code": "InvalidValue", "path": "destination",
             "detail": "This value is not a valid URL."},
            {"code": "InvalidType", "path": "settings",
             "detail": "This value should be of type array."},
        ]),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("body", "status", "expected"), BAD_BODIES)
def test_bad_subscriptions_change_nothing(
    client: TestClient, factory: Factory, body: Any, status: int, expected: dict[str, Any]
) -> None:
    account = factory.account()
    headers = _auth(factory, account)
    existing = client.post(
        PATH, headers=headers, json={"destination": HTTPS, "settings": ["add_lead"]}
    )
    if isinstance(body, bytes):
        response = client.post(PATH, headers=headers, content=body)
    else:
        response = client.post(PATH, headers=headers, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == expected
    assert _list(client, headers) == {
        "_total_items": 1,
        "_embedded": {"webhooks": [existing.json()]},
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", _problem(400, "Bad Request", "Request data can not be empty")),
        (b"nope", _problem(400, "Bad Request", "Request body is not valid JSON")),
        (
            {"destination": ["x"]},
            _validation([{"code": "InvalidType", "path": "destination",
                          "detail": "This value should be of type string."}]),
        ),
        (
            {"url": HTTPS},
            _validation([{"code": "FieldMissing", "path": "destination",
                          "detail": "This field is missing."}]),
        ),
    ],
)  # fmt: skip
def test_bad_unsubscriptions_change_nothing(
    client: TestClient, factory: Factory, body: Any, expected: dict[str, Any]
) -> None:
    account = factory.account()
    headers = _auth(factory, account)
    existing = client.post(
        PATH, headers=headers, json={"destination": HTTPS, "settings": ["add_lead"]}
    )
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, bytes) else {"json": body}
    response = client.request("DELETE", PATH, headers=headers, **kwargs)
    assert response.status_code == 400
    assert response.json() == expected
    assert _list(client, headers) == {
        "_total_items": 1,
        "_embedded": {"webhooks": [existing.json()]},
    }


def test_non_admins_get_403_and_change_nothing(client: TestClient, factory: Factory) -> None:
    account = factory.account()
    admin = _auth(factory, account)
    existing = client.post(
        PATH, headers=admin, json={"destination": HTTPS, "settings": ["add_lead"]}
    )
    user = _auth(factory, account, factory.user(account))
    denied = _problem(403, "Forbidden", "Access denied")
    for method, body in (
        ("GET", None),
        ("POST", {"destination": "https://example.org/", "settings": ["add_lead"]}),
        ("POST", {"destination": HTTPS, "settings": ["delete_lead"]}),
        ("DELETE", {"destination": HTTPS}),
        ("POST", None),
    ):
        response = client.request(method, PATH, headers=user, json=body)
        assert response.status_code == 403, (method, body)
        assert response.json() == denied
    unauthorized = client.get(PATH)
    assert unauthorized.status_code == 401
    assert _list(client, admin) == {"_total_items": 1, "_embedded": {"webhooks": [existing.json()]}}


def test_accounts_see_and_touch_only_their_own(client: TestClient, factory: Factory) -> None:
    first, second = factory.account(), factory.account()
    first_headers, second_headers = _auth(factory, first), _auth(factory, second)
    mine = client.post(
        PATH, headers=first_headers, json={"destination": HTTPS, "settings": ["add_lead"]}
    ).json()
    assert _list(client, second_headers) is None
    missing = client.request("DELETE", PATH, headers=second_headers, json={"destination": HTTPS})
    assert missing.status_code == 404
    # the same destination in another account is another webhook
    theirs = client.post(
        PATH, headers=second_headers, json={"destination": HTTPS, "settings": ["update_lead"]}
    ).json()
    assert theirs["id"] != mine["id"] and theirs["account_id"] == second.id
    assert _list(client, first_headers) == {"_total_items": 1, "_embedded": {"webhooks": [mine]}}


def test_at_most_100_webhooks_an_account(client: TestClient, factory: Factory) -> None:
    account = factory.account()
    headers = _auth(factory, account)
    for n in range(99):
        add_webhook(factory, account, f"https://example.com/{n}")
    hundredth = client.post(
        PATH, headers=headers, json={"destination": HTTPS, "settings": ["add_lead"]}
    )
    assert hundredth.status_code == 201
    refused = client.post(
        PATH,
        headers=headers,
        json={"destination": "https://example.com/101", "settings": ["add_lead"]},
    )
    assert refused.status_code == 400
    assert refused.json() == _validation([
        {"code": "InvalidValue", "path": "destination",
         "detail": "An account can have at most 100 webhooks."}
    ])  # fmt: skip
    listed = _list(client, headers)
    assert listed["_total_items"] == 100
    assert "https://example.com/101" not in [
        w["destination"] for w in listed["_embedded"]["webhooks"]
    ]
    # updating one of the 100 in place is still allowed
    updated = client.post(
        PATH, headers=headers, json={"destination": HTTPS, "settings": ["delete_lead"]}
    )
    assert updated.status_code == 201 and updated.json()["id"] == hundredth.json()["id"]


def test_posting_a_disabled_destination_enables_it_again(
    client: TestClient, factory: Factory
) -> None:
    account = factory.account()
    headers = _auth(factory, account)
    hook_id = add_webhook(factory, account, HTTPS, disabled=True, bad_answers=[1, 2, 3])
    assert _list(client, headers)["_embedded"]["webhooks"][0]["disabled"] is True
    answer = client.post(
        PATH, headers=headers, json={"destination": HTTPS, "settings": ["add_lead"]}
    )
    assert answer.status_code == 201
    assert answer.json()["id"] == hook_id and answer.json()["disabled"] is False
    assert webhook_row(factory, account, hook_id) == {"disabled": False, "bad_answers": []}
