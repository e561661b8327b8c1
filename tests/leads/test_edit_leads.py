"""PATCH /api/v4/leads and /api/v4/leads/{id}: the answers, only sent fields change,
tags (replacement and increments), custom field values, and ``updated_at``/``updated_by``."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import LEADS_URL, As, Clock, as_admin, as_user


def _lead(api: As, lead_id: int, with_: str = "") -> dict[str, Any]:
    lead = api.lead(lead_id, with_)
    assert lead is not None
    return lead


def _tag_names(api: As, lead_id: int) -> list[str]:
    return sorted(t["name"] for t in _lead(api, lead_id)["_embedded"]["tags"])


def test_batch_answer(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    one, two = api.add({}, {})
    with Clock() as clock:
        response = api.patch(
            "/api/v4/leads", [{"id": one, "name": "a"}, {"id": two, "request_id": "r2"}]
        )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    stamp = body["_embedded"]["leads"][0]["updated_at"]
    assert clock.covers(stamp)
    assert body == {
        "_links": {"self": {"href": LEADS_URL}},
        "_embedded": {
            "leads": [
                {"id": one, "updated_at": stamp, "request_id": "0",
                 "_links": {"self": {"href": f"{LEADS_URL}/{one}"}}},
                {"id": two, "updated_at": stamp, "request_id": "r2",
                 "_links": {"self": {"href": f"{LEADS_URL}/{two}"}}},
            ]
        },
    }  # fmt: skip
    assert list(body["_embedded"]["leads"][0]) == ["id", "updated_at", "request_id", "_links"]


def test_single_answer(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    (lead_id,) = api.add({})
    response = api.patch(f"/api/v4/leads/{lead_id}", {"name": "single", "id": 12345})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": lead_id,
        "updated_at": body["updated_at"],
        "_links": {"self": {"href": f"{LEADS_URL}/{lead_id}"}},
    }
    assert list(body) == ["id", "updated_at", "_links"]
    assert _lead(api, lead_id)["name"] == "single"


def test_only_sent_fields_change_and_every_write_is_stamped(client: TestClient, factory: Factory):
    """A lead written by the admin, then edited by another user: the name changes, and so do
    ``updated_at`` (bumped to now) and ``updated_by``; nothing else does."""
    admin = as_admin(client, factory)
    (lead_id,) = admin.add(
        {"name": "before", "price": 10, "created_at": 1_600_000_000, "updated_at": 1_600_000_000}
    )
    before = _lead(admin, lead_id)
    editor = as_user(client, factory, admin.account, factory.user(admin.account))
    with Clock() as clock:
        response = editor.patch(f"/api/v4/leads/{lead_id}", {"name": "after"})
    assert response.status_code == 200
    after = _lead(admin, lead_id)
    assert clock.covers(after["updated_at"]) and after["updated_at"] > before["updated_at"]
    assert after == {
        **before, "name": "after", "updated_at": after["updated_at"],
        "updated_by": editor.user_id,
    }  # fmt: skip


def test_a_client_patching_the_whole_lead_back_changes_nothing_else(
    client: TestClient, factory: Factory
):
    """a popular client PATCHes the lead as it read it, read-only keys and nulls
    included; the answer is 200 and the lead keeps its tags, values and stage."""
    api = as_admin(client, factory)
    field, _ = factory.field(api.account, "text")
    (lead_id,) = api.add(
        {
            "name": "whole",
            "tags_to_add": [{"name": "keep"}],
            "custom_fields_values": [{"field_id": field, "values": [{"value": "v"}]}],
        }
    )
    read = _lead(api, lead_id)
    echo = {**read, "updated_at": 1, "loss_reason_id": None, "source_id": None}
    response = api.patch("/api/v4/leads", [echo])
    assert response.status_code == 200, response.text
    after = _lead(api, lead_id)
    assert after == {**read, "updated_at": after["updated_at"]}
    assert after["updated_at"] >= read["updated_at"]


def test_embedded_tags_replace_the_set(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    keep = factory.tag(api.account, "keep")
    (lead_id,) = api.add({"tags_to_add": [{"name": "a"}, {"name": "b"}, {"id": keep}]})
    api.patch(f"/api/v4/leads/{lead_id}", {"_embedded": {"tags": [{"id": keep}, {"name": "c"}]}})
    assert _tag_names(api, lead_id) == ["c", "keep"]
    api.patch(f"/api/v4/leads/{lead_id}", {"_embedded": {"tags": None}})
    assert _tag_names(api, lead_id) == []


def test_tags_to_add_and_delete_are_increments(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    other = factory.tag(api.account, "other")
    (lead_id,) = api.add({"tags_to_add": [{"name": "a"}, {"name": "b"}]})
    response = api.patch(
        "/api/v4/leads",
        [
            {
                "id": lead_id,
                "tags_to_add": [{"name": "c"}, {"id": other}, {"name": "a"}],
                "tags_to_delete": [{"name": "b"}, {"name": "never-existed"}],
            }
        ],
    )
    assert response.status_code == 200, response.text
    assert _tag_names(api, lead_id) == ["a", "c", "other"]
    api.patch(f"/api/v4/leads/{lead_id}", {"tags_to_delete": [{"id": other}]})
    assert _tag_names(api, lead_id) == ["a", "c"]


def test_listed_fields_are_replaced_others_kept_null_clears(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    text, _ = factory.field(api.account, "text", name="Text", sort=1)
    number, _ = factory.field(api.account, "numeric", name="Number", sort=2)
    flag, _ = factory.field(api.account, "checkbox", name="Flag", sort=3)
    (lead_id,) = api.add(
        {
            "custom_fields_values": [
                {"field_id": text, "values": [{"value": "one"}]},
                {"field_id": number, "values": [{"value": 5}]},
                {"field_id": flag, "values": [{"value": True}]},
            ]
        }
    )
    response = api.patch(
        f"/api/v4/leads/{lead_id}",
        {
            "custom_fields_values": [
                {"field_id": text, "values": [{"value": "two"}]},
                {"field_id": flag, "values": None},
            ]
        },
    )
    assert response.status_code == 200, response.text
    assert _lead(api, lead_id)["custom_fields_values"] == [
        {"field_id": text, "field_name": "Text", "field_code": None, "field_type": "text",
         "values": [{"value": "two"}]},
        {"field_id": number, "field_name": "Number", "field_code": None,
         "field_type": "numeric", "values": [{"value": "5"}]},
    ]  # fmt: skip
    api.patch(
        f"/api/v4/leads/{lead_id}",
        {
            "custom_fields_values": [
                {"field_id": text, "values": []},
                {"field_id": number, "values": None},
            ]
        },
    )
    assert _lead(api, lead_id)["custom_fields_values"] is None


def test_new_responsible_brings_its_group(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    (lead_id,) = api.add({})
    owner = factory.user(api.account, group="two")
    api.patch(f"/api/v4/leads/{lead_id}", {"responsible_user_id": owner})
    lead = _lead(api, lead_id)
    assert (lead["responsible_user_id"], lead["group_id"]) == (owner, api.account.groups["two"])


def test_renames_reach_the_search_index(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    (lead_id,) = api.add({"name": "Aardvark"})
    api.patch(f"/api/v4/leads/{lead_id}", {"name": "Pangolin"})
    assert client.get("/api/v4/leads?query=aardvark", headers=api.headers).status_code == 204
    found = client.get("/api/v4/leads?query=pangolin", headers=api.headers)
    assert [lead["id"] for lead in found.json()["_embedded"]["leads"]] == [lead_id]


def test_updated_by_may_be_the_robot(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    (lead_id,) = api.add({})
    api.patch(f"/api/v4/leads/{lead_id}", {"updated_by": 0})
    assert _lead(api, lead_id)["updated_by"] == 0


def test_price_and_created_at_are_editable(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    (lead_id,) = api.add({"price": 5})
    api.patch(f"/api/v4/leads/{lead_id}", {"price": 7.0, "created_at": 1_500_000_000})
    lead = _lead(api, lead_id)
    assert (lead["price"], lead["created_at"]) == (7, 1_500_000_000)
