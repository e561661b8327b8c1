"""Seed files and ``export`` over HTTP, on both databases: the example file's ids, tokens and
rights as the API then answers them; errors at deep paths that write nothing; export then seed
giving the same account back, down to the API's answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.control.seed.document import json_schema
from kommodore.web.passwords import verify_password
from tests.conftest import Backend
from tests.control.conftest import AUTH, CONTROL_TOKEN

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "seed.yaml"
ORIGIN = "http://testserver"
YAML = {**AUTH, "Content-Type": "application/yaml"}
ALICE_JTI = "6f1c2a4e-0000-4000-8000-000000000001"
CAROL_JTI = "6f1c2a4e-0000-4000-8000-000000000002"
INTEGRATION_JTI = "6f1c2a4e-0000-4000-8000-000000000003"


@pytest.fixture(scope="module")
def control(own_backend: Backend) -> Iterator[TestClient]:
    settings = own_backend.settings(control_api=True, control_token=CONTROL_TOKEN)
    with TestClient(create_app(settings)) as client:
        yield client


def _seed(control: TestClient, body: bytes | dict[str, Any], *, reset: bool = True) -> Any:
    url = "/_kommodore/seed" + ("?reset=true" if reset else "")
    if isinstance(body, dict):
        return control.post(url, json=body, headers=AUTH)
    return control.post(url, content=body, headers=YAML)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _minimal(**lead: Any) -> dict[str, Any]:
    return {
        "accounts": [
            {
                "subdomain": "mini",
                "users": [{"id": 9101, "name": "Max", "email": "max@mini.test", "is_admin": True}],
                "custom_fields": [
                    {
                        "id": 9201,
                        "name": "Kind",
                        "type": "select",
                        "enums": [{"id": 9211, "value": "A"}],
                    },
                ],
                "leads": [{"id": 9301, "name": "ok"}, {"id": 9302, "name": "second", **lead}],
            }
        ]
    }


def test_the_example_file_seeds_fixed_ids_tokens_and_rights(control: TestClient) -> None:
    answer = _seed(control, EXAMPLE.read_bytes())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    (account,) = body["accounts"]
    assert {k: account[k] for k in ("id", "subdomain", "users")} == {
        "id": 31000001,
        "subdomain": "acme",
        "users": {
            "alice@acme.example.com": 9001,
            "bob@acme.example.com": 9002,
            "carol@acme.example.com": 9003,
        },
    }
    tokens = account["tokens"]
    assert sorted(tokens) == [ALICE_JTI, CAROL_JTI, INTEGRATION_JTI]

    alice = _bearer(tokens[ALICE_JTI])
    lead = control.get("/api/v4/leads/5001?with=contacts,catalog_elements", headers=alice)
    assert lead.status_code == 200
    got = lead.json()
    assert {k: got[k] for k in ("id", "name", "price", "responsible_user_id", "group_id",
                                "pipeline_id", "status_id", "account_id")} == {
        "id": 5001, "name": "Website redesign", "price": 12000, "responsible_user_id": 9002,
        "group_id": 501, "pipeline_id": 7001, "status_id": 70011, "account_id": 31000001,
    }  # fmt: skip
    # a fractional price is kept to the hundredth, as the API keeps it
    closed = control.get("/api/v4/leads/5002", headers=alice).json()
    assert (closed["price"], closed["price_with_minor_units"]) == (4000, 4000.5)
    assert got["custom_fields_values"] == [
        {"field_id": 801, "field_name": "Order number", "field_code": "ORDER_NO",
         "field_type": "text", "values": [{"value": "ORD-0001"}]},
        {"field_id": 802, "field_name": "Budget", "field_code": None, "field_type": "numeric",
         "values": [{"value": "12000"}]},
        {"field_id": 803, "field_name": "Branch", "field_code": None, "field_type": "select",
         "values": [{"value": "North", "enum_id": 8031, "enum_code": None}]},
    ]  # fmt: skip
    embedded = got["_embedded"]
    assert (embedded["tags"][0]["id"], embedded["tags"][0]["name"]) == (601, "vip")
    assert {t["name"] for t in embedded["tags"]} == {"vip", "from fair"}
    assert [(c["id"], c["is_main"]) for c in embedded["contacts"]] == [(4001, True)]
    assert [c["id"] for c in embedded["companies"]] == [4501]
    assert [(e["id"], e["metadata"]["quantity"]) for e in embedded["catalog_elements"]] == [
        (6711, 2)
    ]

    # the company's own catalog elements
    company = control.get("/api/v4/companies/4501?with=catalog_elements", headers=alice).json()
    assert company["_embedded"]["catalog_elements"] == [
        {"id": 6711, "metadata": {"quantity": 10, "catalog_id": 671, "price_id": 6712}}
    ]

    # the file's field group, the fields it and the predefined group hold
    groups = control.get("/api/v4/leads/custom_fields/groups", headers=alice)
    base = f"{ORIGIN}/api/v4/leads/custom_fields/groups"
    assert groups.json() == {
        "_total_items": 2, "_page": 1, "_page_count": 1,
        "_links": {"self": {"href": f"{base}?page=1&limit=50"},
                   "last": {"href": f"{base}?page=1&limit=50"}},
        "_embedded": {"custom_field_groups": [
            {"id": "leads_31000001", "name": "Statistics", "sort": 0, "entity_type": "leads",
             "is_predefined": True, "type": "custom_field_group", "fields": [802],
             "_links": {"self": {"href": f"{base}/leads_31000001"}}},
            {"id": "leads_310000011101", "name": "Delivery", "sort": 1, "entity_type": "leads",
             "is_predefined": False, "type": "custom_field_group", "fields": [801],
             "_links": {"self": {"href": f"{base}/leads_310000011101"}}},
        ]},
    }  # fmt: skip
    order_no = control.get("/api/v4/leads/custom_fields/801", headers=alice).json()
    assert order_no["group_id"] == "leads_310000011101"

    # every account carries the predefined contact and company fields; Anna's phones and
    # e-mail are found by the digits of a phone number
    fields = control.get("/api/v4/contacts/custom_fields", headers=alice).json()
    assert [(f["code"], f["type"], f["is_predefined"], f["is_deletable"],
             [e["value"] for e in f["enums"] or []])
            for f in fields["_embedded"]["custom_fields"]] == [
        ("PHONE", "multitext", True, False, ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]),
        ("EMAIL", "multitext", True, False, ["WORK", "PRIV", "OTHER"]),
        ("IM", "multitext", True, False, ["SKYPE", "ICQ", "JABBER", "GTALK", "MSN", "OTHER"]),
        ("POSITION", "text", False, True, []),
    ]  # fmt: skip
    company_fields = control.get("/api/v4/companies/custom_fields", headers=alice).json()
    assert [f["code"] for f in company_fields["_embedded"]["custom_fields"]] == [
        "PHONE", "EMAIL", "WEB", "ADDRESS"
    ]  # fmt: skip
    found = control.get("/api/v4/contacts?query=0031205550101", headers=alice).json()
    (anna,) = found["_embedded"]["contacts"]
    assert [(v["field_code"], [(x["value"], x.get("enum_code")) for x in v["values"]])
            for v in anna["custom_fields_values"]] == [
        ("PHONE", [("+31 20 555 0101", "WORK"), ("+31 6 5550 0102", "MOB")]),
        ("EMAIL", [("anna@nordic.example.com", "WORK")]),
        ("POSITION", [("Buyer", None)]),
    ]  # fmt: skip
    assert [(t["name"], t["color"]) for t in anna["_embedded"]["tags"]] == [
        ("decision maker", None)
    ]
    company = control.get("/api/v4/companies/4501", headers=alice).json()
    assert [t["name"] for t in company["_embedded"]["tags"]] == ["wholesale"]
    directory = control.get("/api/v4/contacts/tags", headers=alice).json()
    assert [t["name"] for t in directory["_embedded"]["tags"]] == ["decision maker"]
    # the lead's notes, its responsible user's, pinned as the file says; Carol (M) sees none
    notes = control.get("/api/v4/leads/5001/notes?with=is_pinned", headers=alice).json()
    assert [(n["id"], n["note_type"], n["responsible_user_id"], n["group_id"], n["is_pinned"])
            for n in notes["_embedded"]["notes"]] == [
        (7501, "common", 9002, 501, True), (7502, "call_in", 9002, 501, False),
    ]  # fmt: skip
    assert notes["_embedded"]["notes"][1]["params"] == {
        "uniq": "c-1", "duration": 95, "source": "pbx",
        "link": "https://pbx.example.com/c-1.mp3", "phone": "+31201234567",
    }  # fmt: skip

    # Carol's rights say M: she sees her own lead (5003) and nothing else
    carol = _bearer(tokens[CAROL_JTI])
    listed = control.get("/api/v4/leads", headers=carol)
    assert [lead["id"] for lead in listed.json()["_embedded"]["leads"]] == [5003]
    assert control.get("/api/v4/leads/5001", headers=carol).status_code == 204  # as unknown
    assert control.get("/api/v4/leads/notes", headers=carol).status_code == 204

    # the integration's token belongs to the seeded integration, with its scopes
    via_integration = control.get("/api/v4/leads/5004", headers=_bearer(tokens[INTEGRATION_JTI]))
    assert via_integration.status_code == 200
    assert via_integration.json()["pipeline_id"] == 7002
    closed = control.get("/api/v4/leads/5002", headers=alice).json()
    assert (closed["status_id"], closed["closed_at"]) == (142, closed["updated_at"])

    # the password was hashed as the sign-in form checks it; export writes only the hash
    exported = control.get("/_kommodore/export?subdomain=acme", headers=AUTH).json()
    users = exported["accounts"][0]["users"]
    assert "password" not in users[0]
    assert verify_password(users[0]["password_hash"], "correct-horse-battery")
    assert "password_hash" not in users[1]  # Bob has none: he cannot sign in

    pipelines = control.get("/api/v4/leads/pipelines/7001", headers=alice).json()
    names = [s["name"] for s in pipelines["_embedded"]["statuses"]]
    assert names == ["Incoming leads", "Qualification", "Proposal sent", "Closed - won",
                     "Closed - lost"]  # fmt: skip


def test_the_same_file_gives_the_same_ids_and_jtis_every_time(control: TestClient) -> None:
    first = _seed(control, EXAMPLE.read_bytes()).json()
    again = _seed(control, EXAMPLE.read_bytes()).json()
    assert first["accounts"][0]["users"] == again["accounts"][0]["users"]
    assert sorted(first["accounts"][0]["tokens"]) == sorted(again["accounts"][0]["tokens"])
    # without reset, the same ids are taken: refused, naming each
    refused = _seed(control, EXAMPLE.read_bytes(), reset=False)
    assert refused.status_code == 400
    problems = refused.json()["problems"]
    assert {"path": "$.accounts[0].subdomain", "detail": "an account 'acme' exists already"} in (
        problems
    )
    assert {"path": "$.accounts[0].leads[0].id", "detail": "id 5001 is taken in the database"} in (
        problems
    )


@pytest.mark.parametrize(
    ("lead", "path", "detail"),
    [
        ({"price": "lots"}, "$.accounts[0].leads[1].price", "Expected `int | float`, got `str`"),
        (
            {"status": "Nowhere"},
            "$.accounts[0].leads[1].status",
            "no stage of pipeline 'Sales' with name 'Nowhere' in this account",
        ),
        (
            {"responsible_user": "who@mini.test"},
            "$.accounts[0].leads[1].responsible_user",
            "no user with name 'who@mini.test' in this account",
        ),
        (
            {"custom_fields_values": [{"field_id": 9201, "values": [{"enum_id": 1}]}]},
            "$.accounts[0].leads[1].custom_fields_values[0].values[0].enum_id",
            None,
        ),
        (
            {"custom_fields_values": [{"field_id": 4242, "values": [{"value": "x"}]}]},
            "$.accounts[0].leads[1].custom_fields_values[0].field_id",
            None,
        ),
        (
            {"contacts": [{"id": 77}]},
            "$.accounts[0].leads[1].contacts[0].id",
            "no contact with id 77 in this account",
        ),
        ({"colour": "red"}, "$.accounts[0].leads[1]", "Object contains unknown field `colour`"),
        (
            {"notes": [{"note_type": "common", "params": {"text": ""}}]},
            "$.accounts[0].leads[1].notes[0].params.text",
            "This value should not be blank.",
        ),
        (
            {"notes": [{"note_type": "carrier_pigeon"}]},
            "$.accounts[0].leads[1].notes[0].note_type",
            None,
        ),
        (
            {"notes": [{"note_type": "common", "params": {"text": "x"}, "created_by": 5}]},
            "$.accounts[0].leads[1].notes[0].created_by",
            "no user with id 5 in this account",
        ),
    ],
)
def test_an_error_at_a_deep_path_is_named_and_nothing_is_written(
    control: TestClient, lead: dict[str, Any], path: str, detail: str | None
) -> None:
    assert _seed(control, _minimal()).status_code == 201  # the state before: "mini" seeded
    refused = _seed(control, _minimal(**lead))
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    paths = [p["path"] for p in body["problems"]]
    assert path in paths, body
    if detail is not None:
        assert {"path": path, "detail": detail} in body["problems"]
    assert body["detail"].startswith("The seed document has ")
    assert "nothing was written" in body["detail"]

    # the state is what it was: the account from before is there with its two leads, whole
    exported = control.get("/_kommodore/export?subdomain=mini", headers=AUTH)
    assert exported.status_code == 200
    assert [lead["id"] for lead in exported.json()["accounts"][0]["leads"]] == [9301, 9302]
    assert exported.json()["accounts"][0]["leads"][1]["name"] == "second"


def test_a_refused_seed_without_reset_leaves_no_account(control: TestClient) -> None:
    control.post("/_kommodore/reset", json={}, headers=AUTH)
    bad = _minimal(status="Nowhere")
    assert _seed(control, bad, reset=False).status_code == 400
    missing = control.get("/_kommodore/export?subdomain=mini", headers=AUTH)
    assert missing.status_code == 404
    # and the ids it would have fixed are free: the good file seeds them
    assert _seed(control, _minimal(), reset=False).status_code == 201


def test_a_document_nested_thousands_deep_is_refused_not_a_500(control: TestClient) -> None:
    deep = "[" * 20_000 + "]" * 20_000
    body = '{"accounts": [{"subdomain": "deep", "sources": [{"name": "s", "external_id": "e", '
    body += f'"services": [{{"x": {deep}}}]}}]}}]}}'
    as_json = control.post("/_kommodore/seed", content=body.encode(), headers=AUTH)
    assert as_json.status_code == 400, as_json.text
    assert as_json.json()["problems"] == [{"path": "$", "detail": "nests too deep"}]
    as_yaml = control.post("/_kommodore/seed", content=body.encode(), headers=YAML)
    assert as_yaml.status_code == 400, as_yaml.text
    assert as_yaml.json()["problems"] == [
        {
            "path": "$",
            "detail": "not valid YAML: line 1, column 1095: exceeded maximum nesting depth",
        }
    ]


def test_yaml_errors_name_the_line(control: TestClient) -> None:
    answer = _seed(control, b"accounts:\n  - subdomain: [unclosed\n")
    assert answer.status_code == 400
    (problem,) = answer.json()["problems"]
    assert problem["path"] == "$"
    assert problem["detail"].startswith("not valid YAML: line 3, column 1")


def test_export_then_seed_gives_the_same_account_and_the_same_api_answers(
    control: TestClient,
) -> None:
    reset = control.post("/_kommodore/reset", json={"to": "demo", "leads": 60, "seed": 5},
                         headers=AUTH)  # fmt: skip
    assert reset.status_code == 200
    token = control.post("/_kommodore/tokens", json={}, headers=AUTH).json()["token"]
    api = _bearer(token)
    reads = [
        "/api/v4/leads?with=contacts,catalog_elements,loss_reason,source&limit=250&order[id]=asc",
        "/api/v4/leads/pipelines",
        "/api/v4/leads/custom_fields?limit=250",
        "/api/v4/leads/custom_fields/groups",
        "/api/v4/contacts/custom_fields/groups",
        "/api/v4/leads/tags?limit=250",
        "/api/v4/leads/loss_reasons",
        "/api/v4/sources",
        "/api/v4/users?with=group,role&limit=250",
        "/api/v4/catalogs",
        "/api/v4/account?with=users_groups",
        "/api/v4/contacts?with=leads&limit=250",
        "/api/v4/companies?with=contacts,leads,catalog_elements&limit=250",
        "/api/v4/contacts?with=catalog_elements&limit=250",
        "/api/v4/contacts/custom_fields",
        "/api/v4/contacts/tags",
        "/api/v4/companies/tags",
        "/api/v4/leads/notes?limit=250&with=is_pinned",
        "/api/v4/tasks?limit=250",
    ]
    before = {url: control.get(url, headers=api).json() for url in reads}
    exported = control.get("/_kommodore/export?subdomain=demo", headers=AUTH)
    assert exported.status_code == 200
    document = exported.json()

    # into an empty server: the same document comes back out
    seeded = control.post("/_kommodore/seed?reset=true", json=document, headers=AUTH)
    assert seeded.status_code == 201, seeded.text
    again = control.get("/_kommodore/export?subdomain=demo", headers=AUTH).json()
    assert again == document

    # and the API answers as it did (a fresh token: the old one's jti was exported too)
    token = control.post("/_kommodore/tokens", json={}, headers=AUTH).json()["token"]
    after = {url: control.get(url, headers=_bearer(token)).json() for url in reads}
    for url in reads:
        assert _without_server_times(after[url]) == _without_server_times(before[url]), url


def _without_server_times(body: Any) -> Any:
    """Rows the demo and the seed both stamp with the time of writing (tags, reasons, catalogs
    and users' rows carry no ``created_at`` in the format)."""
    if isinstance(body, dict):
        return {
            k: _without_server_times(v)
            for k, v in body.items()
            if k not in ("created_at", "updated_at", "server_time")
        }
    if isinstance(body, list):
        return [_without_server_times(v) for v in body]
    return body


def test_export_as_yaml_seeds_back(control: TestClient) -> None:
    assert _seed(control, EXAMPLE.read_bytes()).status_code == 201
    as_yaml = control.get("/_kommodore/export?subdomain=acme&format=yaml", headers=AUTH)
    assert as_yaml.status_code == 200
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    as_json = control.get("/_kommodore/export?subdomain=acme", headers=AUTH).json()
    assert _seed(control, as_yaml.content).status_code == 201
    assert control.get("/_kommodore/export?subdomain=acme", headers=AUTH).json() == as_json


def test_export_needs_an_account_and_the_control_token(control: TestClient) -> None:
    assert control.get("/_kommodore/export?subdomain=acme").status_code == 401
    assert control.post("/_kommodore/seed", content=b"{}").status_code == 401
    assert control.get("/_kommodore/export", headers=AUTH).status_code == 400
    assert control.get("/_kommodore/export?subdomain=nope", headers=AUTH).status_code == 404
    assert control.get("/_kommodore/export?account_id=1&format=xml", headers=AUTH).status_code == (
        400
    )


def test_the_published_schema_is_the_format() -> None:
    published = json.loads((ROOT / "docs" / "seed.schema.json").read_text())
    assert published == json_schema()


def test_notes_seed_as_the_api_reads_them_and_export_back(control: TestClient) -> None:
    """Notes on a lead, a contact and a company: a writable type stored as the API stores it
    (an attachment in its read shape), a system type kept as given, fixed ids and pins."""
    notes_doc = _minimal()
    account = notes_doc["accounts"][0]
    account["contacts"] = [{"id": 9401, "first_name": "Ann", "notes": [
        {"id": 9501, "note_type": "sms_in", "params": {"text": "hi", "phone": "+1"},
         "created_at": 1_700_000_000}]}]  # fmt: skip
    account["companies"] = [{"id": 9402, "name": "Acme", "notes": [
        {"id": 9502, "note_type": "site_visit", "params": {"url": "https://acme.test"},
         "is_pinned": True, "created_at": 1_700_000_000}]}]  # fmt: skip
    account["leads"][0]["notes"] = [
        {"id": 9503, "note_type": "attachment", "params": {"file_uuid": "f-1", "file_name": "a"},
         "created_at": 1_700_000_000, "updated_at": 1_700_000_100},
    ]  # fmt: skip
    seeded = _seed(control, notes_doc)
    assert seeded.status_code == 201, seeded.text
    token = control.post("/_kommodore/tokens", json={"subdomain": "mini"}, headers=AUTH)
    api = _bearer(token.json()["token"])
    origin = "http://testserver/api/v4"
    company_note = control.get("/api/v4/companies/notes/9502?with=is_pinned", headers=api)
    assert company_note.json() == {
        "id": 9502, "entity_id": 9402, "created_by": 9101, "updated_by": 9101,
        "created_at": 1_700_000_000, "updated_at": 1_700_000_000, "responsible_user_id": 9101,
        "group_id": 0, "note_type": "site_visit", "params": {"url": "https://acme.test"},
        "account_id": seeded.json()["accounts"][0]["id"], "is_pinned": True,
        "_links": {"self": {"href": f"{origin}/companies/9402/notes/9502"}},
    }  # fmt: skip
    lead_note = control.get("/api/v4/leads/9301/notes/9503", headers=api).json()
    assert (lead_note["params"], lead_note["updated_at"]) == (
        {"is_drive_attachment": True, "text": "a", "original_name": "a", "file_uuid": "f-1",
         "version_uuid": None, "file_name": "a"},
        1_700_000_100,
    )  # fmt: skip
    contact_notes = control.get("/api/v4/contacts/9401/notes", headers=api).json()
    assert [n["id"] for n in contact_notes["_embedded"]["notes"]] == [9501]
    exported = control.get("/_kommodore/export?subdomain=mini", headers=AUTH).json()
    assert exported["accounts"][0]["companies"][0]["notes"] == [
        {"id": 9502, "note_type": "site_visit", "params": {"url": "https://acme.test"},
         "responsible_user": 9101, "created_by": 9101, "is_pinned": True,
         "created_at": 1_700_000_000, "updated_at": 1_700_000_000},
    ]  # fmt: skip
    assert _seed(control, exported).status_code == 201
    again = control.get("/_kommodore/export?subdomain=mini", headers=AUTH).json()
    assert again == exported
    # the sequence moved past the fixed ids: the API's next note does not collide
    added = control.post("/api/v4/leads/9301/notes", headers=api,
                         json=[{"note_type": "common", "params": {"text": "x"}}])  # fmt: skip
    assert added.status_code == 200 and added.json()["_embedded"]["notes"][0]["id"] > 9503


def test_tasks_seed_and_derive_closest_task_at(control: TestClient) -> None:
    """Tasks load as given; each entity's ``closest_task_at`` is the earliest deadline of its
    open tasks (overdue included), never a field of the file; a task on an entity the account
    lacks is a problem at its path."""
    doc = _minimal()
    account = doc["accounts"][0]
    account["contacts"] = [{"id": 9401, "first_name": "Ann"}]
    account["tasks"] = [
        {"id": 9501, "text": "late", "complete_till": 2_000_000_000, "entity_type": "leads",
         "entity_id": 9301},
        {"id": 9502, "text": "overdue", "complete_till": 1_000, "entity_type": "leads",
         "entity_id": 9301, "task_type_id": 2},
        {"id": 9503, "text": "done", "complete_till": 500, "entity_type": "leads",
         "entity_id": 9301, "is_completed": True, "result": "Called"},
        {"id": 9504, "text": "ring", "complete_till": 3_000, "entity_type": "contacts",
         "entity_id": 9401, "created_at": 1_700_000_000},
    ]  # fmt: skip
    seeded = _seed(control, doc)
    assert seeded.status_code == 201, seeded.text
    token = control.post("/_kommodore/tokens", json={"subdomain": "mini"}, headers=AUTH)
    api = _bearer(token.json()["token"])
    leads = control.get("/api/v4/leads?order[id]=asc", headers=api).json()["_embedded"]["leads"]
    assert [(x["id"], x["closest_task_at"]) for x in leads] == [(9301, 1_000), (9302, None)]
    done = control.get("/api/v4/tasks/9503", headers=api).json()
    assert done == {
        "id": 9503, "created_by": 9101, "updated_by": 9101, "created_at": done["created_at"],
        "updated_at": done["created_at"], "responsible_user_id": 9101, "group_id": 0,
        "entity_id": 9301, "entity_type": "leads", "duration": 0, "is_completed": True,
        "task_type_id": 1, "text": "done", "result": {"text": "Called"}, "complete_till": 500,
        "account_id": done["account_id"],
        "_links": {"self": {"href": "http://testserver/api/v4/tasks/9503"}},
    }  # fmt: skip
    exported = control.get("/_kommodore/export?subdomain=mini", headers=AUTH).json()
    assert [t["id"] for t in exported["accounts"][0]["tasks"]] == [9501, 9502, 9503, 9504]
    assert "closest_task_at" not in exported["accounts"][0]["leads"][0]

    account["tasks"] = [
        {"text": "x", "complete_till": 1, "entity_type": "leads", "entity_id": 1},
        {"text": "y", "complete_till": 1, "task_type_id": 7},
    ]
    refused = _seed(control, doc)
    assert refused.status_code == 400, refused.text
    assert [(p["path"], p["detail"]) for p in refused.json()["problems"]] == [
        ("$.accounts[0].tasks[0].entity_id", "no lead with id 1 in this account"),
        ("$.accounts[0].tasks[1].task_type_id", "1 (follow-up) or 2 (meeting)"),
    ]
    account["tasks"] = []
    account["leads"][0]["closest_task_at"] = 5
    assert _seed(control, doc).status_code == 400  # no longer a field of the format


def test_a_field_names_a_field_group_of_its_entity_type(control: TestClient) -> None:
    document = _minimal()
    account = document["accounts"][0]
    account["field_groups"] = [{"id": 9401, "entity_type": "contacts", "name": "Tab"}]
    account["custom_fields"] += [
        {"id": 9202, "name": "A", "type": "text", "group": "Tab"},
        {"id": 9203, "name": "B", "type": "text", "group": 9401},
    ]
    refused = _seed(control, document)
    assert refused.status_code == 400
    problems = refused.json()["problems"]
    assert {
        "path": "$.accounts[0].custom_fields[1].group",
        "detail": "no field group with name 'Tab' in this account",
    } in problems
    assert {"path": "$.accounts[0].custom_fields[2].group",
            "detail": "no field group with id 9401 in this account"} in problems  # fmt: skip
    for field in account["custom_fields"][1:]:
        field["entity_type"] = "contacts"
    assert _seed(control, document).status_code == 201
    exported = control.get("/_kommodore/export?subdomain=mini", headers=AUTH).json()
    (again,) = exported["accounts"]
    assert again["field_groups"] == [
        {"id": 9401, "entity_type": "contacts", "name": "Tab", "sort": 1}
    ]
    assert [
        (f["id"], f.get("group")) for f in again["custom_fields"] if f["id"] in (9202, 9203)
    ] == [
        (9202, 9401),
        (9203, 9401),
    ]


def test_unsorted_seeds_with_its_lead_and_exports_back(control: TestClient) -> None:
    """A lead's Unsorted entry: the lead put in the incoming stage, the entry answered whole
    by the Unsorted API (the lead's main contact and company), exported and seeded back the
    same; a lead without one has none."""
    doc = _minimal()
    account = doc["accounts"][0]
    account["contacts"] = [{"id": 9401, "first_name": "Ann"}, {"id": 9403, "first_name": "Bo"}]
    account["companies"] = [{"id": 9402, "name": "Acme"}]
    uid = "ab" * 30
    metadata = {"form_id": "f1", "form_name": "Site", "form_page": "https://a.test/",
                "form_sent_at": "1700000000", "ip": None}  # fmt: skip
    account["leads"][1].update(
        contacts=[{"id": 9403}, {"id": 9401, "is_main": True}], company=9402,
        created_at=1_700_000_000,
        unsorted={"uid": uid, "category": "forms", "metadata": metadata,
                  "source_uid": "src-1", "source_name": "Site form"},
    )  # fmt: skip
    seeded = _seed(control, doc)
    assert seeded.status_code == 201, seeded.text
    account_id = seeded.json()["accounts"][0]["id"]
    token = control.post("/_kommodore/tokens", json={"subdomain": "mini"}, headers=AUTH)
    api = _bearer(token.json()["token"])
    origin = "http://testserver/api/v4"
    lead = control.get("/api/v4/leads/9302", headers=api).json()
    stages = control.get(f"/api/v4/leads/pipelines/{lead['pipeline_id']}/statuses",
                         headers=api).json()["_embedded"]["statuses"]  # fmt: skip
    assert next(s["type"] for s in stages if s["id"] == lead["status_id"]) == 1
    entry = {
        "uid": uid, "source_uid": "src-1", "source_name": "Site form", "category": "forms",
        "pipeline_id": lead["pipeline_id"], "created_at": 1_700_000_000, "metadata": metadata,
        "account_id": account_id, "_links": {"self": {"href": f"{origin}/leads/unsorted/{uid}"}},
        "_embedded": {
            "contacts": [{"id": 9401, "_links": {"self": {"href": f"{origin}/contacts/9401"}}}],
            "leads": [{"id": 9302, "_links": {"self": {"href": f"{origin}/leads/9302"}}}],
            "companies": [{"id": 9402, "_links": {"self": {"href": f"{origin}/companies/9402"}}}],
        },
    }  # fmt: skip
    assert control.get(f"/api/v4/leads/unsorted/{uid}", headers=api).json() == entry
    listed = control.get("/api/v4/leads/unsorted", headers=api).json()
    assert listed["_embedded"]["unsorted"] == [entry]
    exported = control.get("/_kommodore/export?subdomain=mini", headers=AUTH).json()
    first, second = exported["accounts"][0]["leads"]
    assert "unsorted" not in first
    assert second["unsorted"] == {"uid": uid, "category": "forms", "metadata": metadata,
                                  "source_uid": "src-1", "source_name": "Site form",
                                  "created_at": 1_700_000_000}  # fmt: skip
    assert _seed(control, exported).status_code == 201
    assert control.get("/_kommodore/export?subdomain=mini", headers=AUTH).json() == exported
