"""Notes on leads, contacts and companies (spec §8): every path, the shapes in Kommo's key
order, each writable type's ``params`` as written and as read, pin/unpin, filters and order."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import NOW, Factory
from tests.leads.writing import ORIGIN, As, as_admin

NOTE_KEYS = [
    "id", "entity_id", "created_by", "updated_by", "created_at", "updated_at",
    "responsible_user_id", "group_id", "note_type", "params", "account_id", "_links",
]  # fmt: skip


def _parent(factory: Factory, api: As, kind: str) -> int:
    if kind == "leads":
        return factory.lead(api.account)
    return factory.party(api.account, kind, api.user_id)


def add(api: As, kind: str, entity_id: int, *notes: dict[str, Any]) -> list[int]:
    response = api.post(f"/api/v4/{kind}/{entity_id}/notes", list(notes))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["_embedded"]["notes"]]


def get(api: As, path: str) -> Any:
    response = api.client.get(path, headers=api.headers)
    if response.status_code == 204:
        assert response.content == b""
        return None
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/hal+json"
    return response.json()


def expected(
    api: As,
    kind: str,
    entity_id: int,
    note_id: int,
    note_type: str,
    params: dict[str, Any],
    *,
    at: int,
    **changes: Any,
) -> dict[str, Any]:
    group = api.account.groups["one"]  # the factory's admin is in group "one"
    body = {
        "id": note_id, "entity_id": entity_id, "created_by": api.user_id,
        "updated_by": api.user_id, "created_at": at, "updated_at": at,
        "responsible_user_id": api.user_id, "group_id": group, "note_type": note_type,
        "params": params, "account_id": api.account.id,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/{kind}/{entity_id}/notes/{note_id}"}},
    }  # fmt: skip
    body.update(changes)
    return body


@pytest.mark.parametrize("kind", ["leads", "contacts", "companies"])
def test_add_then_read_by_every_path(client: TestClient, factory: Factory, kind: str):
    api = as_admin(client, factory)
    parent = _parent(factory, api, kind)
    response = api.post(
        f"/api/v4/{kind}/notes",
        [{"entity_id": parent, "note_type": "common", "params": {"text": "Hello / Ünï"},
          "request_id": "first", "created_at": NOW - 10}],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    (note_id,) = [n["id"] for n in response.json()["_embedded"]["notes"]]
    assert response.json() == {
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/{kind}/notes"}},
        "_embedded": {"notes": [{
            "id": note_id, "entity_id": parent, "request_id": "first",
            "_links": {"self": {"href": f"{ORIGIN}/api/v4/{kind}/{parent}/notes/{note_id}"}},
        }]},
    }  # fmt: skip
    one = get(api, f"/api/v4/{kind}/{parent}/notes/{note_id}")
    assert list(one) == NOTE_KEYS
    assert one == expected(
        api, kind, parent, note_id, "common", {"text": "Hello / Ünï"}, at=NOW - 10,
        updated_at=one["updated_at"],
    )  # fmt: skip
    assert one["updated_at"] >= NOW
    assert get(api, f"/api/v4/{kind}/notes/{note_id}") == one
    pinned = get(api, f"/api/v4/{kind}/notes/{note_id}?with=is_pinned")
    assert list(pinned) == [*NOTE_KEYS[:-1], "is_pinned", "_links"]
    assert pinned == {**one, "is_pinned": False}

    listed = get(api, f"/api/v4/{kind}/{parent}/notes")
    assert listed == {
        "_page": 1,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/{kind}/{parent}/notes?page=1&limit=50"}},
        "_embedded": {"notes": [one]},
    }
    by_type = get(api, f"/api/v4/{kind}/notes?filter[entity_id][]={parent}")
    assert by_type["_embedded"] == {"notes": [one]}
    assert get(api, f"/api/v4/{kind}/notes?filter[id]={note_id}")["_embedded"] == {"notes": [one]}


WRITES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("common", {"text": "t"}, {"text": "t"}),
    ("call_in", {"uniq": "a1", "duration": 60, "source": "pbx", "link": "https://r/1.mp3",
                 "phone": "+31 20 123", "call_status": 4, "call_result": "talked",
                 "call_responsible": "Reception"},
     {"uniq": "a1", "duration": 60, "source": "pbx", "link": "https://r/1.mp3",
      "phone": "+31 20 123", "call_responsible": "Reception", "call_result": "talked",
      "call_status": 4}),
    ("call_out", {"phone": "123", "duration": 0, "extra": "dropped"},
     {"duration": 0, "phone": "123"}),
    ("service_message", {"service": "Bot", "text": "hi"}, {"service": "Bot", "text": "hi"}),
    ("extended_service_message", {"text": "hi", "service": "Bot"},
     {"service": "Bot", "text": "hi"}),
    ("message_cashier", {"status": "shown", "text": "pay"}, {"status": "shown", "text": "pay"}),
    ("geolocation", {"text": "here", "address": "Dam 1", "longitude": 4.89, "latitude": "52.37"},
     {"text": "here", "address": "Dam 1", "longitude": "4.89", "latitude": "52.37"}),
    ("sms_in", {"text": "yo", "phone": "+1"}, {"text": "yo", "phone": "+1"}),
    ("sms_out", {"text": "yo", "phone": "+1"}, {"text": "yo", "phone": "+1"}),
    ("attachment", {"file_uuid": "f-1", "version_uuid": "v-1", "file_name": "a.pdf"},
     {"is_drive_attachment": True, "text": "a.pdf", "original_name": "a.pdf",
      "file_uuid": "f-1", "version_uuid": "v-1", "file_name": "a.pdf"}),
    ("attachment", {"file_uuid": "f-2", "file_name": "b.pdf"},
     {"is_drive_attachment": True, "text": "b.pdf", "original_name": "b.pdf",
      "file_uuid": "f-2", "version_uuid": None, "file_name": "b.pdf"}),
]  # fmt: skip


@pytest.mark.parametrize(("note_type", "written", "read"), WRITES)
def test_every_writable_type_params(
    client: TestClient, factory: Factory, note_type: str, written: Any, read: Any
):
    api = as_admin(client, factory)
    lead = factory.lead(api.account)
    (note_id,) = add(api, "leads", lead, {"note_type": note_type, "params": written})
    note = get(api, f"/api/v4/leads/{lead}/notes/{note_id}")
    assert (note["note_type"], note["params"]) == (note_type, read)
    assert list(note["params"]) == list(read)


def test_patch_replaces_params_and_answers(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    lead = factory.lead(api.account)
    other = factory.user(api.account, group="two")
    first, second = add(
        api, "leads", lead,
        {"note_type": "common", "params": {"text": "a"}},
        {"note_type": "sms_in", "params": {"text": "b", "phone": "1"}},
    )  # fmt: skip
    response = api.patch(
        "/api/v4/leads/notes",
        [{"id": first, "params": {"text": "a2"}, "request_id": "x", "updated_at": NOW + 5,
          "entity_id": 999, "responsible_user_id": other},
         {"id": second, "note_type": "sms_in", "params": {"text": "b2", "phone": "2"}}],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    link = f"{ORIGIN}/api/v4/leads/{lead}/notes/"
    assert body == {
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/leads/notes"}},
        "_embedded": {"notes": [
            {"id": first, "entity_id": lead, "updated_at": NOW + 5, "request_id": "x",
             "_links": {"self": {"href": f"{link}{first}"}}},
            {"id": second, "entity_id": lead, "updated_at": body["_embedded"]["notes"][1][
                "updated_at"], "request_id": "1", "_links": {"self": {"href": f"{link}{second}"}}},
        ]},
    }  # fmt: skip
    note = get(api, f"/api/v4/leads/{lead}/notes/{first}")
    assert (note["params"], note["responsible_user_id"], note["group_id"], note["entity_id"]) == (
        {"text": "a2"},
        other,
        api.account.groups["two"],
        lead,
    )
    response = api.patch(
        f"/api/v4/leads/{lead}/notes/{second}", {"params": {"text": "c", "phone": "3"}}
    )
    assert response.status_code == 200
    one = response.json()
    assert one == {
        "id": second, "entity_id": lead, "updated_at": one["updated_at"],
        "_links": {"self": {"href": f"{link}{second}"}},
    }  # fmt: skip
    assert get(api, f"/api/v4/leads/notes/{second}")["params"] == {"text": "c", "phone": "3"}


def test_pin_and_unpin(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    contact = factory.party(api.account, "contacts", api.user_id)
    (note_id,) = add(api, "contacts", contact, {"note_type": "common", "params": {"text": "p"}})
    before = get(api, f"/api/v4/contacts/notes/{note_id}")
    response = api.post(f"/api/v4/contacts/notes/{note_id}/pin")
    assert (response.status_code, response.content) == (204, b"")
    pinned = get(api, f"/api/v4/contacts/notes/{note_id}?with=is_pinned")
    assert pinned == {**before, "is_pinned": True}
    assert api.post(f"/api/v4/contacts/notes/{note_id}/unpin").status_code == 204
    assert get(api, f"/api/v4/contacts/notes/{note_id}?with=is_pinned")["is_pinned"] is False
    for path in (f"/api/v4/leads/notes/{note_id}/pin", "/api/v4/contacts/notes/1/unpin"):
        response = api.post(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "Note is not found"


def test_filters_order_and_paging(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    one, two = factory.lead(api.account), factory.lead(api.account)
    a, b = add(
        api, "leads", one,
        {"note_type": "common", "params": {"text": "a"}, "updated_at": NOW + 1},
        {"note_type": "sms_out", "params": {"text": "b", "phone": "1"}, "updated_at": NOW + 3},
    )  # fmt: skip
    (c,) = add(
        api, "leads", two, {"note_type": "common", "params": {"text": "c"}, "updated_at": NOW + 2}
    )

    def ids(query: str) -> list[int] | None:
        found = get(
            api, f"/api/v4/leads/notes?filter[entity_id][]={one}&filter[entity_id][]={two}&{query}"
        )
        return None if found is None else [n["id"] for n in found["_embedded"]["notes"]]

    assert ids("") == [a, b, c]
    assert ids("order[id]=desc") == [c, b, a]
    assert ids("order[updated_at]=asc") == [a, c, b]
    assert ids("order[updated_at]=desc") == [b, c, a]
    assert ids("filter[note_type][0]=common") == [a, c]
    assert ids("filter[note_type]=sms_out") == [b]
    assert ids(f"filter[updated_at]={NOW + 1}") == [b, c]  # strictly after
    assert ids(f"filter[updated_at][from]={NOW + 1}&filter[updated_at][to]={NOW + 2}") == [a, c]
    assert ids("filter[updated_at]=soon") is None
    assert ids(f"filter[id][]={a}&filter[id][]={c}") == [a, c]
    assert ids("filter[note_type]=attachment") is None
    page = get(api, f"/api/v4/leads/notes?filter[entity_id][]={one}&limit=1")
    assert [n["id"] for n in page["_embedded"]["notes"]] == [a]
    assert page["_links"]["next"] == {
        "href": f"{ORIGIN}/api/v4/leads/notes?filter[entity_id][]={one}&limit=1&page=2"
    }
    assert get(api, f"/api/v4/leads/notes?filter[entity_id][]={one}&limit=1&page=3") is None
    assert [n["id"] for n in get(api, f"/api/v4/leads/{two}/notes")["_embedded"]["notes"]] == [c]
