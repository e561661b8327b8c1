"""``/_kommodore/`` reset and snapshots over HTTP, on both databases, each on a database of its
own: the control token, switched off, and every answer's whole body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.control import store
from kommodore.control.endpoints import OFF
from tests.conftest import Backend
from tests.control.conftest import AUTH, CONTROL_TOKEN
from tests.factories import Factory


@pytest.fixture(scope="module")
def control(own_backend: Backend) -> Iterator[TestClient]:
    settings = own_backend.settings(control_api=True, control_token=CONTROL_TOKEN)
    with TestClient(create_app(settings)) as client:
        yield client


def _problem(status: int, detail: str) -> dict[str, object]:
    titles = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict"}
    return {
        "title": titles[status],
        "type": f"https://httpstatus.es/{status}",
        "status": status,
        "detail": detail,
    }


def test_the_control_token_is_required_and_a_kommo_token_is_not_one(
    control: TestClient, factory: Factory
) -> None:
    account = factory.account()
    kommo = factory.token(account, account.admin)
    for headers in ({}, {"Authorization": f"Bearer {kommo}"}, {"Authorization": "Bearer x"}):
        response = control.post("/_kommodore/reset", json={}, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        detail = response.json()["detail"]
        assert response.json() == _problem(401, detail)
        assert "a Kommo token is not accepted here" in detail
    # nothing was reset: the account still answers
    lead = factory.lead(account)
    answer = control.get(f"/api/v4/leads/{lead}", headers={"Authorization": f"Bearer {kommo}"})
    assert answer.status_code == 200


def test_snapshots_save_list_restore_and_delete(control: TestClient, factory: Factory) -> None:
    account = factory.account()
    kommo = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    kept = factory.lead(account, name="kept")

    saved = control.post("/_kommodore/snapshots", json={"name": "clean-1"}, headers=AUTH)
    assert saved.status_code == 201
    body = saved.json()
    assert set(body) == {"name", "created_at", "revision", "size_bytes"}
    assert body["name"] == "clean-1" and body["revision"] == "0017"
    assert isinstance(body["created_at"], int)

    added = control.post("/api/v4/leads", json=[{"name": "after"}], headers=kommo)
    assert added.status_code == 200
    after = added.json()["_embedded"]["leads"][0]["id"]
    renamed = control.patch(f"/api/v4/leads/{kept}", json={"name": "changed"}, headers=kommo)
    assert renamed.status_code == 200

    restored = control.post("/_kommodore/snapshots/clean-1/restore", headers=AUTH)
    assert (restored.status_code, restored.json()) == (200, {"restored": "clean-1"})
    assert control.get(f"/api/v4/leads/{after}", headers=kommo).status_code == 204
    assert control.get(f"/api/v4/leads/{kept}", headers=kommo).json()["name"] == "kept"

    listed = control.get("/_kommodore/snapshots", headers=AUTH)
    assert listed.status_code == 200
    names = [s["name"] for s in listed.json()["snapshots"]]
    assert "clean-1" in names and not any(n.startswith(".") for n in names)

    assert control.delete("/_kommodore/snapshots/clean-1", headers=AUTH).status_code == 204
    gone = control.delete("/_kommodore/snapshots/clean-1", headers=AUTH)
    assert (gone.status_code, gone.json()) == (404, _problem(404, "No snapshot named 'clean-1'"))
    missing = control.post("/_kommodore/snapshots/clean-1/restore", headers=AUTH)
    assert (missing.status_code, missing.json()) == (
        404,
        _problem(404, "No snapshot named 'clean-1'"),
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"name": "../etc"}', "a snapshot name is 1 to 64 letters, digits, '_', '-' or '.', "
         "starting with a letter or digit"),
        (b'{"name": ".hidden"}', "a snapshot name is 1 to 64 letters, digits, '_', '-' or '.', "
         "starting with a letter or digit"),
        (b'{"name": 5}', "Invalid request body: Expected `str`, got `int` - at `$.name`"),
        (b'{"name": "a", "x": 1}', "Invalid request body: Object contains unknown field `x`"),
        (b'{"name": ', "Request body is not valid JSON"),
        (b"[]", "Invalid request body: Expected `object`, got `array`"),
    ],
)  # fmt: skip
def test_a_bad_snapshot_request_is_a_400_and_saves_nothing(
    control: TestClient, body: bytes, detail: str
) -> None:
    response = control.post("/_kommodore/snapshots", content=body, headers=AUTH)
    assert response.status_code == 400
    got = response.json()
    assert got == _problem(400, detail)
    listed = control.get("/_kommodore/snapshots", headers=AUTH).json()["snapshots"]
    assert all(s["name"] in {"clean-1", "demo-state", "both"} for s in listed)


def test_reset_to_empty_forgets_every_account(control: TestClient, factory: Factory) -> None:
    account = factory.account()
    kommo = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    lead = factory.lead(account)
    assert control.get(f"/api/v4/leads/{lead}", headers=kommo).status_code == 200

    response = control.post("/_kommodore/reset", headers=AUTH)
    assert (response.status_code, response.json()) == (200, {"to": "empty"})
    assert control.get(f"/api/v4/leads/{lead}", headers=kommo).status_code == 401


def test_a_large_state_is_emptied_with_truncate(
    control: TestClient, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL empties a state above ``DELETE_UP_TO_BYTES`` with one TRUNCATE (SQLite copies
    files either way): a restore and a reset end exactly as with DELETE."""
    monkeypatch.setattr(store, "DELETE_UP_TO_BYTES", -1)
    account = factory.account()
    kommo = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    kept = factory.lead(account, name="kept")
    saved = control.post("/_kommodore/snapshots", json={"name": "large"}, headers=AUTH)
    assert saved.status_code == 201
    renamed = control.patch(f"/api/v4/leads/{kept}", json={"name": "changed"}, headers=kommo)
    assert renamed.status_code == 200

    restored = control.post("/_kommodore/snapshots/large/restore", headers=AUTH)
    assert (restored.status_code, restored.json()) == (200, {"restored": "large"})
    assert control.get(f"/api/v4/leads/{kept}", headers=kommo).json()["name"] == "kept"
    response = control.post("/_kommodore/reset", headers=AUTH)
    assert (response.status_code, response.json()) == (200, {"to": "empty"})
    assert control.get(f"/api/v4/leads/{kept}", headers=kommo).status_code == 401


def test_reset_to_the_demo_account_then_again_from_its_cache(control: TestClient) -> None:
    first = control.post("/_kommodore/reset", json={"to": "demo", "leads": 40, "seed": 7},
                         headers=AUTH)  # fmt: skip
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"to", "account", "users"}
    assert body["to"] == "demo" and body["account"]["subdomain"] == "demo"
    assert body["account"]["leads"] == 40 and "alice" in body["users"]
    again = control.post("/_kommodore/reset", json={"to": "demo", "leads": 40, "seed": 7},
                         headers=AUTH)  # fmt: skip
    assert again.json() == body


@pytest.mark.parametrize(
    "body",
    [
        b'{"to": "nothing"}',
        b'{"leads": 0, "to": "demo"}',
        b'{"leads": "many"}',
        b'{"x": 1}',
        b'{"to": "demo", "seed": 1' + b"0" * 300 + b"}",
        b'{"to": "demo", "seed": -1}',
    ],
)
def test_a_bad_reset_is_a_400_and_resets_nothing(
    control: TestClient, factory: Factory, body: bytes
) -> None:
    account = factory.account()
    kommo = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    response = control.post("/_kommodore/reset", content=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == _problem(400, response.json()["detail"])
    assert control.get("/api/v4/account", headers=kommo).status_code == 200


def test_switched_off_every_control_path_is_refused(own_backend: Backend) -> None:
    settings = own_backend.settings(control_api=False, control_token=CONTROL_TOKEN)
    with TestClient(create_app(settings)) as client:
        refused = [("POST", "/_kommodore/reset"), ("GET", "/_kommodore/snapshots"),
                   ("DELETE", "/_kommodore/snapshots/x"), ("GET", "/_kommodore/")]  # fmt: skip
        for method, path in refused:
            response = client.request(method, path, headers=AUTH)
            assert (response.status_code, response.json()) == (404, _problem(404, OFF))


def test_the_default_is_on_for_sqlite_and_off_for_postgresql(own_backend: Backend) -> None:
    settings = own_backend.settings()
    assert settings.resolved_control_api is (own_backend.name == "sqlite")


def test_a_kommo_token_for_the_state_just_reset(control: TestClient) -> None:
    reset = control.post("/_kommodore/reset", json={"to": "demo", "leads": 20, "seed": 3},
                         headers=AUTH)  # fmt: skip
    users = reset.json()["users"]
    admin = control.post("/_kommodore/tokens", json={}, headers=AUTH)
    assert admin.status_code == 201 and set(admin.json()) == {"token"}
    me = control.get("/api/v4/account", params={"with": "users"},
                     headers={"Authorization": f"Bearer {admin.json()['token']}"})  # fmt: skip
    assert me.status_code == 200 and me.json()["current_user_id"] == users["alice"]
    user = control.post("/_kommodore/tokens", json={"user_id": users["greta"], "days": 2},
                        headers=AUTH)  # fmt: skip
    assert user.status_code == 201
    theirs = control.get("/api/v4/account",
                         headers={"Authorization": f"Bearer {user.json()['token']}"})  # fmt: skip
    assert theirs.json()["current_user_id"] == users["greta"]
    unknown = control.post("/_kommodore/tokens", json={"subdomain": "nope"}, headers=AUTH)
    assert (unknown.status_code, unknown.json()) == (
        404, _problem(404, "no account with subdomain 'nope'")
    )  # fmt: skip
    bad = control.post("/_kommodore/tokens", json={"days": 0}, headers=AUTH)
    assert (bad.status_code, bad.json()) == (400, _problem(400, "days: from 1 to 3650"))
    huge = control.post("/_kommodore/tokens", json={"user_id": 2**64}, headers=AUTH)
    assert (huge.status_code, huge.json()) == (
        400, _problem(400, f"user_id: from 1 to {2**63 - 1}")
    )  # fmt: skip
    kommo = control.post("/_kommodore/tokens", json={},
                         headers={"Authorization": f"Bearer {admin.json()['token']}"})  # fmt: skip
    assert kommo.status_code == 401
