"""The events each lead write leaves, read back through GET /api/v4/events: one per
change, with Kommo's value shapes, and none for a refused batch."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.factories import LOST, Factory
from tests.leads.writing import As, as_admin


def _events(api: As, lead_id: int) -> list[tuple[str, Any, Any, int]]:
    """(type, value_after, value_before, created_by) of the lead's events, oldest first."""
    response = api.client.get(
        f"/api/v4/events?filter[entity]=lead&filter[entity_id]={lead_id}&limit=100",
        headers=api.headers,
    )
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.text
    items = response.json()["_embedded"]["events"]
    for item in items:
        assert (item["entity_id"], item["entity_type"]) == (lead_id, "lead")
    return [
        (e["type"], e["value_after"], e["value_before"], e["created_by"])
        for e in sorted(items, key=lambda e: e["id"])
    ]


def test_add_leaves_lead_added(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    first, second = api.add({"name": "new"}, {"name": "other"})
    ((kind, after, before, user),) = _events(api, first)
    assert (kind, before, user) == ("lead_added", [], api.user_id)
    # the system note "lead created": an id of the notes' sequence, never listed or served
    note_id = after[0]["note"]["id"]
    assert after == [{"note": {"id": note_id}}] and isinstance(note_id, int)
    ((_, other_after, _, _),) = _events(api, second)
    assert list(other_after[0]) == ["note"] and other_after[0]["note"]["id"] > note_id
    for path in (f"/api/v4/leads/notes/{note_id}", f"/api/v4/leads/{first}/notes/{note_id}",
                 f"/api/v4/leads/{first}/notes"):  # fmt: skip
        assert api.client.get(path, headers=api.headers).status_code == 204


def test_an_edit_leaves_one_event_per_change(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    owner = factory.user(account)
    field, enums = factory.field(account, "select", enums=[("Red", None), ("Blue", None)])
    reason = factory.loss_reason(account)
    (lead_id,) = api.add(
        {"name": "before", "price": 5, "tags_to_add": [{"name": "old"}],
         "custom_fields_values": [{"field_id": field, "values": [{"value": "Red"}]}]}
    )  # fmt: skip
    pipeline_id, first = account.stages["first"]
    response = api.patch(
        f"/api/v4/leads/{lead_id}",
        {
            "name": "after", "price": 7, "responsible_user_id": owner, "status_id": LOST,
            "loss_reason_id": reason, "tags_to_add": [{"name": "new"}],
            "tags_to_delete": [{"name": "old"}],
            "custom_fields_values": [{"field_id": field, "values": [{"enum_id": enums[1]}]}],
        },
    )  # fmt: skip
    assert response.status_code == 200, response.text
    events = _events(api, lead_id)
    assert events[0][0] == "lead_added"
    user = api.user_id
    assert sorted(events[1:], key=lambda e: e[0]) == sorted(
        [
            ("lead_status_changed", [{"lead_status": {"id": LOST, "pipeline_id": pipeline_id}}],
             [{"lead_status": {"id": first, "pipeline_id": pipeline_id}}], user),
            ("entity_responsible_changed", [{"responsible_user": {"id": owner}}],
             [{"responsible_user": {"id": user}}], user),
            ("sale_field_changed", [{"sale_field_value": {"sale": 7}}],
             [{"sale_field_value": {"sale": 5}}], user),
            ("name_field_changed", [{"name_field_value": {"name": "after"}}],
             [{"name_field_value": {"name": "before"}}], user),
            ("entity_tag_added", [{"tag": {"name": "new"}}], [], user),
            ("entity_tag_deleted", [], [{"tag": {"name": "old"}}], user),
            ("custom_field_value_changed",
             [{"custom_field_value": {"field_id": field, "field_type": 4, "enum_id": enums[1],
                                      "text": "Blue"}}],
             [{"custom_field_value": {"field_id": field, "field_type": 4, "enum_id": enums[0],
                                      "text": "Red"}}], user),
        ],
        key=lambda e: e[0],
    )  # fmt: skip


def test_unchanged_values_leave_no_event(client: TestClient, factory: Factory):
    """A client writing the lead back as it read it changes nothing worth an event."""
    api = as_admin(client, factory)
    field, _ = factory.field(api.account, "text")
    value = [{"field_id": field, "values": [{"value": "same"}]}]
    (lead_id,) = api.add({"name": "same", "price": 3, "custom_fields_values": value})
    api.patch(f"/api/v4/leads/{lead_id}", {"name": "same", "price": 3,
                                           "custom_fields_values": value})  # fmt: skip
    assert [e[0] for e in _events(api, lead_id)] == ["lead_added"]


def test_links_leave_linked_and_unlinked(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    contact = factory.party(api.account, "contacts", api.user_id)
    (lead_id,) = api.add({})
    link = [{"to_entity_id": contact, "to_entity_type": "contacts"}]
    assert api.post(f"/api/v4/leads/{lead_id}/link", link).status_code == 200
    assert api.post(f"/api/v4/leads/{lead_id}/unlink", link).status_code == 204
    entity = {"entity": {"type": "contact", "id": contact}}
    assert _events(api, lead_id)[1:] == [
        ("entity_linked", [{"link": entity}], [], api.user_id),
        ("entity_unlinked", [{"unlink": entity}], [], api.user_id),
    ]


def test_a_refused_batch_leaves_no_event(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    (lead_id,) = api.add({})
    response = api.patch("/api/v4/leads", [{"id": lead_id, "name": "x"}, {"id": "bad"}])
    assert response.status_code == 400
    assert [e[0] for e in _events(api, lead_id)] == ["lead_added"]
