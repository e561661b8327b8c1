"""What integrations do, end to end through the API on both databases: find a contact by
phone, create it when missing, create a lead linked to it, write a note on the lead, set a task,
complete it, and read everything back from each side."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.app import create_app
from tests.conftest import Backend
from tests.control.conftest import AUTH, CONTROL_TOKEN
from tests.control.conftest import own_backend as own_backend  # a database of this module's own

JTI = "00000000-0000-4000-8000-0000000f1040"
SEED = {
    "accounts": [
        {
            "id": 33000001,
            "subdomain": "flow",
            "users": [
                {"id": 9701, "name": "Flo Admin", "email": "flo@flow.test", "is_admin": True}
            ],
            "pipelines": [
                {
                    "id": 7701,
                    "name": "Sales",
                    "is_main": True,
                    "statuses": [{"id": 77011, "name": "New"}],
                },
            ],
            "tokens": [{"jti": JTI}],
        }
    ]
}
DEADLINE = 4_102_444_800  # 2100-01-01


@pytest.fixture
def api(own_backend: Backend) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = own_backend.settings(control_api=True, control_token=CONTROL_TOKEN)
    with TestClient(create_app(settings)) as client:
        seeded = client.post("/_kommodore/seed?reset=true", json=SEED, headers=AUTH)
        assert seeded.status_code == 201, seeded.text
        token = seeded.json()["accounts"][0]["tokens"][JTI]
        yield client, {"Authorization": f"Bearer {token}"}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def test_find_or_create_a_contact_then_a_lead_a_note_and_a_task(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = api
    phone = "+31 20 555 0199"

    # the integration looks the caller up by phone: nobody yet
    assert client.get("/api/v4/contacts?query=0205550199", headers=auth).status_code == 204
    created = _ok(
        client.post(
            "/api/v4/contacts",
            headers=auth,
            json=[
                {
                    "first_name": "Mila",
                    "last_name": "Jansen",
                    "custom_fields_values": [
                        {"field_code": "PHONE", "values": [{"value": phone, "enum_code": "WORK"}]}
                    ],
                }
            ],
        )
    )
    (contact_id,) = [c["id"] for c in created["_embedded"]["contacts"]]
    # the next call finds her by the digits, whatever the spelling
    found = _ok(client.get("/api/v4/contacts?query=%2B31%20(20)%20555-0199", headers=auth))
    assert [c["id"] for c in found["_embedded"]["contacts"]] == [contact_id]

    # a lead for her
    leads = _ok(client.post("/api/v4/leads", headers=auth, json=[{"name": "Call-in deal"}]))
    (lead_id,) = [lead["id"] for lead in leads["_embedded"]["leads"]]
    _ok(
        client.post(
            f"/api/v4/leads/{lead_id}/link",
            headers=auth,
            json=[{"to_entity_id": contact_id, "to_entity_type": "contacts"}],
        )
    )

    # a note on the lead, and a task for its responsible user
    notes = _ok(
        client.post(
            f"/api/v4/leads/{lead_id}/notes",
            headers=auth,
            json=[{"note_type": "common", "params": {"text": "Called in"}}],
        )
    )
    (note_id,) = [n["id"] for n in notes["_embedded"]["notes"]]
    tasks = _ok(
        client.post(
            "/api/v4/tasks",
            headers=auth,
            json=[
                {
                    "text": "Send the offer",
                    "complete_till": DEADLINE,
                    "entity_id": lead_id,
                    "entity_type": "leads",
                }
            ],
        )
    )
    (task_id,) = [t["id"] for t in tasks["_embedded"]["tasks"]]
    lead = _ok(client.get(f"/api/v4/leads/{lead_id}?with=contacts", headers=auth))
    assert lead["closest_task_at"] == DEADLINE
    assert [(c["id"], c["is_main"]) for c in lead["_embedded"]["contacts"]] == [(contact_id, True)]

    # the task done, with its result: nothing left open on the lead
    done = _ok(
        client.patch(
            f"/api/v4/tasks/{task_id}",
            headers=auth,
            json={"is_completed": True, "result": {"text": "Offer sent"}},
        )
    )
    assert done["id"] == task_id
    assert _ok(client.get(f"/api/v4/leads/{lead_id}", headers=auth))["closest_task_at"] is None

    # read back from every side
    contact = _ok(client.get(f"/api/v4/contacts/{contact_id}?with=leads", headers=auth))
    assert contact["name"] == "Mila Jansen"
    assert [v["values"] for v in contact["custom_fields_values"]] == [
        [
            {
                "value": phone,
                "enum_id": contact["custom_fields_values"][0]["values"][0]["enum_id"],
                "enum_code": "WORK",
            }
        ]
    ]
    assert [lead["id"] for lead in contact["_embedded"]["leads"]] == [lead_id]
    lead_notes = _ok(client.get(f"/api/v4/leads/{lead_id}/notes", headers=auth))
    assert [(n["id"], n["note_type"], n["params"]) for n in lead_notes["_embedded"]["notes"]] == [
        (note_id, "common", {"text": "Called in"})
    ]
    task = _ok(client.get(f"/api/v4/tasks/{task_id}", headers=auth))
    assert (task["entity_id"], task["entity_type"], task["is_completed"], task["result"]) == (
        lead_id,
        "leads",
        True,
        {"text": "Offer sent"},
    )
    events = _ok(
        client.get(
            "/api/v4/events",
            headers=auth,
            params={"filter[entity]": "lead", "filter[entity_id]": lead_id},
        )
    )
    assert {"lead_added", "entity_linked", "common_note_added"} <= {
        e["type"] for e in events["_embedded"]["events"]
    }
