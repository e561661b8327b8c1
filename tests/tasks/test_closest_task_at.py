"""``closest_task_at`` of a lead, a contact and a company under every task write: add, a new
deadline, completion, reopening, a move to another entity of the same type and of another type,
a new responsible user, a refused batch, and (for leads, the one entity kommodore deletes) the
entity's deletion and restoration. Each value is read three ways: the entity's ``GET``, its
list's ``filter[closest_task_at]``, and the column. The entity's ``updated_at`` never moves and
no entity webhook is queued (only the tasks changed).

Contacts and companies cannot be deleted in kommodore (Kommo deletes them in its UI only, and
the admin surface deletes leads only), so their deletion has no case here."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import As, as_admin
from tests.tasks.helpers import add, column
from tests.webhooks.helpers import add_webhook, deliveries

OTHER_KIND = {"leads": "contacts", "contacts": "companies", "companies": "leads"}
ENTITY_HOOKS = (
    "add_lead", "update_lead", "status_lead", "responsible_lead",
    "add_contact", "update_contact", "responsible_contact",
    "add_company", "update_company", "responsible_company",
)  # fmt: skip


def _entity(factory: Factory, api: As, kind: str) -> int:
    if kind == "leads":
        return factory.lead(api.account)
    return factory.party(api.account, kind, api.user_id)


def _closest(api: As, factory: Factory, kind: str, entity: int) -> int | None:
    """The value as GET answers it, after checking the column and the list filter agree."""
    response = api.client.get(f"/api/v4/{kind}/{entity}", headers=api.headers)
    assert response.status_code == 200, response.text
    shown: int | None = response.json()["closest_task_at"]
    assert column(factory, kind, api.account, entity, "closest_task_at") == shown
    if shown is not None:
        window = f"filter[closest_task_at][from]={shown}&filter[closest_task_at][to]={shown}"
        found = api.client.get(f"/api/v4/{kind}?{window}", headers=api.headers)
        assert found.status_code == 200, found.text
        assert entity in [e["id"] for e in found.json()["_embedded"][kind]]
    return shown


def _patch(api: As, *items: dict[str, Any]) -> None:
    response = api.patch("/api/v4/tasks", list(items))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind", ["leads", "contacts", "companies"])
def test_every_task_write(client: TestClient, factory: Factory, kind: str):
    api = as_admin(client, factory)
    account = api.account
    add_webhook(factory, account, "http://127.0.0.1:9/entities", ENTITY_HOOKS)
    entity, same, other = (_entity(factory, api, k) for k in (kind, kind, OTHER_KIND[kind]))
    stamps = {
        (k, i): (column(factory, k, account, i, "updated_at"),
                 column(factory, k, account, i, "updated_by"))
        for k, i in ((kind, entity), (kind, same), (OTHER_KIND[kind], other))
    }  # fmt: skip

    def closest(k: str = kind, i: int = entity) -> int | None:
        return _closest(api, factory, k, i)

    def on(i: int = entity, k: str = kind) -> dict[str, Any]:
        return {"entity_type": k, "entity_id": i}

    assert closest() is None
    # add: open tasks count, overdue ones too; completed and unlinked ones do not
    late, overdue, _done, _loose = add(
        api,
        {"text": "late", "complete_till": 2_000_000_000, **on()},
        {"text": "overdue", "complete_till": 1_000, **on()},
        {"text": "done", "complete_till": 500, "is_completed": True, **on()},
        {"text": "loose", "complete_till": 10},
    )
    assert closest() == 1_000
    # a new deadline, later then earlier
    _patch(api, {"id": overdue, "complete_till": 3_000})
    assert closest() == 3_000
    _patch(api, {"id": late, "complete_till": 2_500})
    assert closest() == 2_500
    # a new responsible user changes nothing
    _patch(api, {"id": late, "responsible_user_id": factory.user(account)})
    assert closest() == 2_500
    # completion, one then the other: null without an open task
    _patch(api, {"id": late, "is_completed": True, "result": {"text": "ok"}})
    assert closest() == 3_000
    _patch(api, {"id": overdue, "is_completed": True})
    assert closest() is None
    # reopening
    _patch(api, {"id": late, "is_completed": False})
    assert closest() == 2_500
    # a move to another entity of the same type, then of another type, then back
    _patch(api, {"id": late, **on(same)})
    assert (closest(), closest(kind, same)) == (None, 2_500)
    _patch(api, {"id": late, **on(other, OTHER_KIND[kind])})
    assert (closest(kind, same), closest(OTHER_KIND[kind], other)) == (None, 2_500)
    # one batch: the task comes back and the other one reopens on the same entity
    _patch(api, {"id": late, **on()}, {"id": overdue, "is_completed": False})
    assert (closest(), closest(OTHER_KIND[kind], other)) == (2_500, None)
    # a refused batch changes nothing
    refused = api.patch("/api/v4/tasks", [{"id": late, "complete_till": 5}, {"id": late}])
    assert refused.status_code == 400
    assert closest() == 2_500
    # the entities themselves were never touched, and no entity webhook was queued
    for (k, i), before in stamps.items():
        after = (column(factory, k, account, i, "updated_at"),
                 column(factory, k, account, i, "updated_by"))  # fmt: skip
        assert after == before, (k, i)
    assert deliveries(factory, account) == []


def test_a_deleted_lead_keeps_it_and_has_it_back_when_restored(
    client: TestClient, factory: Factory
):
    """Deletion hides the lead's tasks (they cannot be written meanwhile); the restored lead
    answers the value its open tasks give."""
    api = as_admin(client, factory)
    account = api.account
    lead = factory.lead(account)
    late, _soon = add(
        api,
        {"text": "late", "complete_till": 9_000, "entity_type": "leads", "entity_id": lead},
        {"text": "soon", "complete_till": 4_000, "entity_type": "leads", "entity_id": lead},
    )
    assert _closest(api, factory, "leads", lead) == 4_000
    assert api.post(f"/admin/leads/{lead}/delete").status_code == 204
    assert client.get(f"/api/v4/leads/{lead}", headers=api.headers).status_code == 204
    # the lead's tasks are out of reach: neither edited nor given to it
    assert api.patch("/api/v4/tasks", [{"id": late, "complete_till": 1}]).status_code == 400
    refused = api.post("/api/v4/tasks", [{"text": "x", "complete_till": 1,
                                          "entity_type": "leads", "entity_id": lead}])  # fmt: skip
    assert refused.status_code == 400
    assert column(factory, "leads", account, lead, "closest_task_at") == 4_000
    assert api.post(f"/admin/leads/{lead}/restore").status_code == 204
    assert _closest(api, factory, "leads", lead) == 4_000
    _patch(api, {"id": _soon, "is_completed": True})
    assert _closest(api, factory, "leads", lead) == 9_000
