"""POST /admin/leads/{id}/delete|restore and the batch forms: Kommo's UI-only delete and
restore, with the events and webhooks Kommo sends for them."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.testclient import TestClient

from tests.events.helpers import ORIGIN, auth, event_body
from tests.factories import Account, Factory
from tests.webhooks.helpers import deliveries


def problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "type": f"https://httpstatus.es/{status}", "status": status,
            "detail": detail, **extra}  # fmt: skip


def lead_state(client: TestClient, token: str, lead_id: int) -> tuple[int, Any]:
    """GET the lead, and GET it as deleted: exactly one of them answers 200."""
    live = client.get(f"/api/v4/leads/{lead_id}", headers=auth(token))
    gone = client.get(f"/api/v4/leads/{lead_id}?with=only_deleted", headers=auth(token))
    assert {live.status_code, gone.status_code} == {200, 204}
    return (live.status_code, live.json() if live.status_code == 200 else gone.json())


def events_of(client: TestClient, token: str, lead_id: int) -> list[dict[str, Any]]:
    response = client.get(
        f"/api/v4/events?filter[entity]=lead&filter[entity_id]={lead_id}", headers=auth(token)
    )
    if response.status_code == 204:
        return []
    return list(response.json()["_embedded"]["events"])


def snapshot(client: TestClient, token: str, *lead_ids: int) -> list[Any]:
    return [(lead_state(client, token, i), events_of(client, token, i)) for i in lead_ids]


class TestDeleteRestore:
    def test_delete_then_restore_one(self, client, factory: Factory):
        account = factory.account()
        token = factory.token(account, account.admin)
        lead = factory.lead(account, name="Keep me")
        before = time.time()
        response = client.post(f"/admin/leads/{lead}/delete", headers=auth(token))
        assert response.status_code == 204
        assert response.content == b""
        status, body = lead_state(client, token, lead)
        assert status == 204  # gone from ordinary reads
        assert body == {"id": lead, "updated_at": body["updated_at"], "updated_by": account.admin,
                        "is_deleted": True,
                        "_links": {"self": {"href": f"{ORIGIN}/api/v4/leads/{lead}"}}}  # fmt: skip
        assert int(before) <= body["updated_at"] <= time.time() + 1
        (deleted,) = events_of(client, token, lead)
        assert deleted == event_body(account.id, deleted["id"], "lead_deleted", lead,
                                     account.admin, deleted["created_at"], [], [])  # fmt: skip
        assert deleted["created_at"] == body["updated_at"]
        assert client.get("/api/v4/leads", headers=auth(token)).status_code == 204

        response = client.post(f"/admin/leads/{lead}/restore", headers=auth(token))
        assert response.status_code == 204
        status, restored = lead_state(client, token, lead)
        assert status == 200
        assert restored["name"] == "Keep me" and restored["is_deleted"] is False
        assert restored["updated_by"] == account.admin
        events = events_of(client, token, lead)
        assert [e["type"] for e in events] == ["lead_restored", "lead_deleted"]
        assert events[0] == event_body(account.id, events[0]["id"], "lead_restored", lead,
                                       account.admin, events[0]["created_at"], [], [])  # fmt: skip

    def test_acting_user_from_context_header(self, client, factory: Factory):
        account = factory.account()
        lead = factory.lead(account)
        token = factory.token(account, account.admin)
        helper_admin = factory.user(account, admin=True)
        headers = {**auth(token), "X-Context-User-ID": str(helper_admin)}
        assert client.post(f"/admin/leads/{lead}/delete", headers=headers).status_code == 204
        _, body = lead_state(client, token, lead)
        assert body["updated_by"] == helper_admin
        assert events_of(client, token, lead)[0]["created_by"] == helper_admin

    def test_batch(self, client, factory: Factory):
        account = factory.account()
        token = factory.token(account, account.admin)
        a, b = factory.lead(account), factory.lead(account)
        body = [{"id": a}, {"id": b, "request_id": "x"}, {"id": a}]
        response = client.post("/admin/leads/delete", headers=auth(token), json=body)
        assert response.status_code == 204
        for lead in (a, b):
            assert lead_state(client, token, lead)[0] == 204
            assert [e["type"] for e in events_of(client, token, lead)] == ["lead_deleted"]
        response = client.post("/admin/leads/restore", headers=auth(token), json={"id": b})
        assert response.status_code == 204
        assert lead_state(client, token, b)[0] == 200
        assert lead_state(client, token, a)[0] == 204


def _error(code: str, path: str, detail: str) -> dict[str, str]:
    return {"code": code, "path": path, "detail": detail}


VALIDATION = {
    "validation-errors": [
        {"request_id": "0",
         "errors": [_error("InvalidType", "id", "This value should be of type int.")]},
        {"request_id": "1",
         "errors": [_error("InvalidType", "", "This value should be of type object.")]},
        {"request_id": "2", "errors": [_error("FieldMissing", "id", "This field is missing.")]},
        {"request_id": "3", "errors": [_error("FieldMissing", "id", "This field is missing.")]},
        {"request_id": "4", "errors": [_error("NotSupportedChoice", "id",
                                              "The value you selected is not a valid choice.")]},
    ],
    **problem(400, "Bad Request", "Request validation failed"),
}  # fmt: skip


class TestRefusals:
    def _setup(self, factory: Factory) -> tuple[Account, str, int, int]:
        account = factory.account()
        token = factory.token(account, account.admin)
        live = factory.lead(account)
        gone = factory.lead(account, is_deleted=True)
        return account, token, live, gone

    def test_non_admin_403_nothing_changes(self, client, factory: Factory):
        account, token, live, gone = self._setup(factory)
        user_token = factory.token(account, factory.user(account, view="A"))
        before = snapshot(client, token, live, gone)
        for url, body in ((f"/admin/leads/{live}/delete", None),
                          (f"/admin/leads/{gone}/restore", None),
                          ("/admin/leads/delete", [{"id": live}]),
                          ("/admin/leads/restore", [{"id": gone}])):  # fmt: skip
            response = client.post(url, headers=auth(user_token), json=body)
            assert response.status_code == 403
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json() == problem(403, "Forbidden", "Access denied")
        assert snapshot(client, token, live, gone) == before

    def test_without_token_401(self, client, factory: Factory):
        _account, token, live, _ = self._setup(factory)
        response = client.post(f"/admin/leads/{live}/delete")
        assert response.status_code == 401
        assert lead_state(client, token, live)[0] == 200

    def test_unknown_and_foreign_ids_404(self, client, factory: Factory):
        _account, token, live, gone = self._setup(factory)
        stranger = factory.account()
        foreign = factory.lead(stranger)
        before = snapshot(client, token, live, gone)
        for lead in (foreign, 999_999_999_999, 0, 2**70):
            response = client.post(f"/admin/leads/{lead}/delete", headers=auth(token))
            assert response.status_code == 404
            assert response.json() == problem(404, "Not Found", "Lead not found",
                                              lead_ids=[lead])  # fmt: skip
        response = client.post("/admin/leads/delete", headers=auth(token),
                               json=[{"id": live}, {"id": foreign}])  # fmt: skip
        assert response.status_code == 404
        assert response.json() == problem(404, "Not Found", "Lead not found", lead_ids=[foreign])
        assert snapshot(client, token, live, gone) == before
        stranger_token = factory.token(stranger, stranger.admin)
        assert lead_state(client, stranger_token, foreign)[0] == 200

    def test_wrong_state_400(self, client, factory: Factory):
        _account, token, live, gone = self._setup(factory)
        before = snapshot(client, token, live, gone)
        response = client.post(f"/admin/leads/{gone}/delete", headers=auth(token))
        assert response.status_code == 400
        assert response.json() == problem(400, "Bad Request", "Lead is already deleted",
                                          lead_ids=[gone])  # fmt: skip
        response = client.post(f"/admin/leads/{live}/restore", headers=auth(token))
        assert response.json() == problem(400, "Bad Request", "Lead is not deleted",
                                          lead_ids=[live])  # fmt: skip
        # one bad item refuses the whole batch
        response = client.post("/admin/leads/delete", headers=auth(token),
                               json=[{"id": live}, {"id": gone}])  # fmt: skip
        assert response.status_code == 400
        assert response.json()["lead_ids"] == [gone]
        assert snapshot(client, token, live, gone) == before

    @pytest.mark.parametrize(
        "raw, status, expected",
        [(b"", 400, problem(400, "Bad Request", "Request data can not be empty")),
         (b"[]", 400, problem(400, "Bad Request", "Request data can not be empty")),
         (b"{nope", 400, problem(400, "Bad Request", "Request body is not valid JSON")),
         (b"5", 400, problem(400, "Bad Request", "Request data must be an array of objects")),
         (json.dumps([{"id": 1}] * 251).encode(), 422,
          problem(422, "Unprocessable Entity", "Limit 250 per page")),
         (b'[{"id": "7"}, 3, {}, {"id": null}, {"id": -1}]', 400, VALIDATION)],
    )  # fmt: skip
    def test_bad_batch_bodies(self, client, factory: Factory, raw, status, expected):
        _account, token, live, gone = self._setup(factory)
        before = snapshot(client, token, live, gone)
        if b'"id": 1}' in raw:
            raw = raw.replace(b'"id": 1}', f'"id": {live}}}'.encode())
        response = client.post("/admin/leads/delete", headers=auth(token), content=raw)
        assert response.status_code == status
        assert response.json() == expected
        assert snapshot(client, token, live, gone) == before

    def test_wrong_method_405(self, client, factory: Factory):
        _account, token, live, _ = self._setup(factory)
        response = client.get(f"/admin/leads/{live}/delete", headers=auth(token))
        assert response.status_code == 405


def _subscribe(factory: Factory, account: Account, settings: list[str]) -> None:
    hook = factory.id("webhooks")
    factory.execute(
        "INSERT INTO webhooks (account_id, id, destination, settings, sort, disabled, created_by, "
        "created_at, updated_at, bad_answers) VALUES (:a, :i, :d, :s, 1, :off, :u, 1, 1, '[]')",
        a=account.id, i=hook, d="http://127.0.0.1:9/hook", s=json.dumps(settings), off=False,
        u=account.admin,
    )  # fmt: skip


def _deliveries(factory: Factory, account: Account) -> list[dict[str, str]]:
    return [dict(parse_qsl(r["body"])) for r in deliveries(factory, account)]


def test_delete_and_restore_queue_webhooks(client, factory: Factory):
    account = factory.account()
    token = factory.token(account, account.admin)
    _subscribe(factory, account, ["delete_lead", "restore_lead"])
    lead = factory.lead(account)
    other = factory.lead(account)
    assert client.post("/admin/leads/delete", headers=auth(token),
                       json=[{"id": lead}, {"id": other}]).status_code == 204  # fmt: skip
    (deleted,) = _deliveries(factory, account)
    assert deleted["leads[delete][0][id]"] == str(lead)
    assert deleted["leads[delete][1][id]"] == str(other)
    assert deleted["account[id]"] == str(account.id)
    assert client.post(f"/admin/leads/{lead}/restore", headers=auth(token)).status_code == 204
    _, restored = _deliveries(factory, account)
    assert restored["leads[restore][0][id]"] == str(lead)
    # a refused request queues nothing
    assert client.post(f"/admin/leads/{lead}/restore", headers=auth(token)).status_code == 400
    assert len(_deliveries(factory, account)) == 2
