"""The webhook deliveries each lead write queues, read from the outbox: an add is
``add``; an edit is ``update`` plus ``status`` when the stage moved and ``responsible`` when the
responsible user changed; a link write is ``update``; a refused batch queues nothing."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import As, as_admin
from tests.webhooks.helpers import add_webhook, deliveries

EVERY_LEAD_EVENT = (
    "add_lead", "update_lead", "status_lead", "responsible_lead", "delete_lead", "restore_lead",
)  # fmt: skip


def _queued(factory: Factory, api: As) -> list[dict[str, str]]:
    """The form fields of each queued delivery, oldest first."""
    return [dict(parse_qsl(d["body"])) for d in deliveries(factory, api.account)]


def _actions(fields: dict[str, str]) -> set[str]:
    return {key.split("][")[0].removeprefix("leads[") for key in fields if key.startswith("leads[")}


def test_each_write_queues_its_actions(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    add_webhook(factory, account, "http://127.0.0.1:9/hook", EVERY_LEAD_EVENT)
    owner = factory.user(account)
    contact = factory.party(account, "contacts", api.user_id)

    (lead_id,) = api.add({"name": "hooked"})
    (added,) = _queued(factory, api)
    assert _actions(added) == {"add"}
    assert (added["leads[add][0][id]"], added["leads[add][0][name]"]) == (str(lead_id), "hooked")
    assert added["account[id]"] == str(account.id)

    pipeline_id, first = account.stages["first"]
    second = account.stages["second"][1]
    response = api.patch(
        f"/api/v4/leads/{lead_id}", {"status_id": second, "responsible_user_id": owner}
    )
    assert response.status_code == 200
    edited = _queued(factory, api)[1]
    assert _actions(edited) == {"update", "status", "responsible"}
    assert edited["leads[status][0][old_status_id]"] == str(first)
    assert edited["leads[status][0][status_id]"] == str(second)
    assert edited["leads[status][0][old_pipeline_id]"] == str(pipeline_id)
    assert edited["leads[responsible][0][responsible_user_id]"] == str(owner)

    api.patch(f"/api/v4/leads/{lead_id}", {"name": "renamed"})
    assert _actions(_queued(factory, api)[2]) == {"update"}

    link = [{"to_entity_id": contact, "to_entity_type": "contacts"}]
    assert api.post(f"/api/v4/leads/{lead_id}/link", link).status_code == 200
    linked = _queued(factory, api)[3]
    assert _actions(linked) == {"update"}
    assert linked["leads[update][0][id]"] == str(lead_id)

    refused = api.patch("/api/v4/leads", [{"id": lead_id, "name": "x"}, {"id": "bad"}])
    assert refused.status_code == 400
    assert len(_queued(factory, api)) == 4


def test_only_subscribed_actions_are_queued(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    add_webhook(factory, api.account, "http://127.0.0.1:9/status-only", ("status_lead",))
    (lead_id,) = api.add({})
    assert _queued(factory, api) == []
    api.patch(f"/api/v4/leads/{lead_id}", {"name": "no stage change"})
    assert _queued(factory, api) == []
    api.patch(f"/api/v4/leads/{lead_id}", {"status_id": api.account.stages["second"][1]})
    (moved,) = _queued(factory, api)
    assert _actions(moved) == {"status"}
