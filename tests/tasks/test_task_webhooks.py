"""Task webhooks: the ``task[...]`` body byte for byte, queued in the write's
transaction; completion is one ``update`` item with ``action_close=1`` and the result."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.testclient import TestClient

from kommodore.webhooks.payload import php_quote
from tests.conftest import BASE_DOMAIN
from tests.factories import Account, Factory
from tests.leads.writing import ORIGIN, as_admin, as_user
from tests.tasks.helpers import add
from tests.webhooks.helpers import add_webhook, deliveries

TASK_HOOKS = ("add_task", "update_task", "responsible_task")


def _encoded(account: Account, pairs: list[tuple[str, str]]) -> str:
    head = [
        ("account[subdomain]", account.subdomain),
        ("account[id]", str(account.id)),
        ("account[_links][self]", f"https://{account.subdomain}.{BASE_DOMAIN}"),
    ]
    quote_via: object = php_quote
    return urlencode(head + pairs, quote_via=quote_via)  # type: ignore[arg-type]


def _item(prefix: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(f"{prefix}{k}", v) for k, v in pairs]


def test_add_update_and_responsible_bodies(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    owner = factory.user(account)
    lead = factory.lead(account)
    hook = add_webhook(factory, account, "https://example.com/tasks", TASK_HOOKS)
    add_webhook(factory, account, "https://example.com/leads-only", ("add_lead",))
    (task_id,) = add(
        api,
        {"text": "Call back & ~", "complete_till": 1_900_000_000, "entity_type": "leads",
         "entity_id": lead, "created_at": 1_600_000_000, "updated_at": 1_600_000_100},
    )  # fmt: skip
    admin = str(account.admin)
    common = [
        ("[id]", str(task_id)), ("[element_id]", str(lead)), ("[element_type]", "2"),
        ("[task_type]", "1"), ("[text]", "Call back & ~"), ("[status]", "0"),
        ("[account_id]", str(account.id)), ("[created_user_id]", admin),
        ("[responsible_user_id]", admin),
    ]  # fmt: skip
    added = deliveries(factory, account)
    assert [(d["webhook_id"], d["status"]) for d in added] == [(hook, "pending")]
    assert added[0]["body"] == _encoded(
        account,
        _item("task[add][0]", [
            *common,
            ("[date_create]", "2020-09-13 12:26:40"), ("[last_modified]", "2020-09-13 12:28:20"),
            ("[complete_till]", "2030-03-17 17:46:40"),
            ("[created_at]", "1600000000"), ("[updated_at]", "1600000100"),
        ]),
    )  # fmt: skip

    response = api.patch(
        f"/api/v4/tasks/{task_id}",
        {"is_completed": True, "result": {"text": "Done"}, "responsible_user_id": owner,
         "updated_at": 1_600_000_200},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    after = deliveries(factory, account)
    assert len(after) == 2
    note_id = client.get(f"/api/v4/events?filter[entity]=task&filter[entity_id]={task_id}"
                         "&filter[type]=task_result_added", headers=api.headers)  # fmt: skip
    assert note_id.status_code == 200, note_id.text
    (event,) = note_id.json()["_embedded"]["events"]
    result_id = str(event["value_after"][0]["note"]["id"])
    changed = [
        ("[id]", str(task_id)), ("[element_id]", str(lead)), ("[element_type]", "2"),
        ("[task_type]", "1"), ("[text]", "Call back & ~"), ("[status]", "1"),
        ("[account_id]", str(account.id)), ("[created_user_id]", admin),
        ("[responsible_user_id]", str(owner)),
    ]  # fmt: skip
    times = [
        ("[date_create]", "2020-09-13 12:26:40"), ("[last_modified]", "2020-09-13 12:30:00"),
        ("[complete_till]", "2030-03-17 17:46:40"),
    ]  # fmt: skip
    assert after[1]["body"] == _encoded(
        account,
        _item("task[update][0]", [
            *changed, *times, ("[action_close]", "1"), ("[result][id]", result_id),
            ("[result][text]", "Done"), ("[created_at]", "1600000000"),
            ("[updated_at]", "1600000200"),
        ])
        + _item("task[responsible][0]", [
            *changed, ("[old_responsible_user_id]", admin), *times, ("[result][id]", result_id),
            ("[result][text]", "Done"), ("[created_at]", "1600000000"),
            ("[updated_at]", "1600000200"),
        ]),
    )  # fmt: skip


def test_no_subscriber_no_delivery_and_refusals_queue_nothing(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    add_webhook(factory, account, "https://example.com/leads", ("add_lead", "update_lead"))
    add(api, {"text": "quiet", "complete_till": 1})
    assert deliveries(factory, account) == []
    add_webhook(factory, account, "https://example.com/tasks", ("add_task",))
    refused = api.post("/api/v4/tasks", [{"text": "ok", "complete_till": 1}, {"text": ""}])
    assert refused.status_code == 400
    assert deliveries(factory, account) == []


def test_webhook_settings_accept_task_events(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    response = api.post(
        "/api/v4/webhooks",
        {"destination": "https://example.com/t", "settings": ["add_task", "update_task"]},
    )
    assert response.status_code == 201, response.text
    assert response.json()["settings"] == ["add_task", "update_task"]


def test_task_events_in_the_events_api(client: TestClient, factory: Factory):
    """Task events are served to every user (tasks have no view right), pointing at the
    task; ``filter[entity]=lead`` leaves them out."""
    api = as_admin(client, factory)
    account = api.account
    (task_id,) = add(api, {"text": "x", "complete_till": 1})
    member = factory.user(account, view="D")
    viewer = as_user(client, factory, account, member)
    response = client.get(
        f"/api/v4/events?filter[entity]=task&filter[entity_id]={task_id}", headers=viewer.headers
    )
    assert response.status_code == 200, response.text
    (event,) = response.json()["_embedded"]["events"]
    assert (event["type"], event["entity_type"], event["entity_id"]) == (
        "task_added", "task", task_id,
    )  # fmt: skip
    assert event["_embedded"] == {
        "entity": {"id": task_id, "_links": {"self": {"href": f"{ORIGIN}/api/v4/tasks/{task_id}"}}}
    }
    lead_only = client.get("/api/v4/events?filter[entity]=lead", headers=api.headers)
    assert lead_only.status_code == 204
