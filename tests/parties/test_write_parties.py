"""POST and PATCH /api/v4/contacts and /companies: Kommo's answers whole, names composed,
phones and e-mails with their kinds (every way clients name them), values replaced and
cleared, rights, and bad input of every kind answering validation-errors with nothing written."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.factories import Account, Factory
from tests.leads.writing import assert_problem, not_a_choice, problem, validation_body
from tests.parties.helpers import add_party, add_user

ORIGIN = "http://testserver"


@dataclass
class W:
    account: Account
    phone: int
    email: int
    enums: dict[str, int]
    company_web: int


@pytest.fixture(scope="module")
def w(factory: Factory) -> W:
    a = factory.account()
    phone, (work, mob) = factory.field(
        a, "multitext", "Phone", "PHONE", [("WORK", None), ("MOB", None)], 2, "contacts"
    )
    email, (ework, epriv) = factory.field(
        a, "multitext", "Email", "EMAIL", [("WORK", None), ("PRIV", None)], 3, "contacts"
    )
    web, _ = factory.field(a, "url", "Web", "WEB", [], 4, "companies")
    enums = {"WORK": work, "MOB": mob, "EWORK": ework, "EPRIV": epriv}
    return W(a, phone, email, enums, web)


def _call(client: TestClient, factory: Factory, w: W, method: str, url: str, body: Any,
          user: int | None = None) -> Any:  # fmt: skip
    token = factory.token(w.account, user or w.account.admin)
    return client.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"})


def _read(client: TestClient, factory: Factory, w: W, kind: str, pid: int) -> Any:
    return _call(client, factory, w, "GET", f"/api/v4/{kind}/{pid}", None).json()


def test_add_contacts_whole(client: TestClient, factory: Factory, w: W):
    body = [
        {"first_name": "Ivan", "last_name": "Petrov", "request_id": "ivan",
         "custom_fields_values": [
             {"field_code": "PHONE", "values": [
                 {"value": "+79991234567", "enum_code": "WORK"},
                 {"value": "+7 999 765-43-21", "enum_id": None, "enum_code": "MOB"},
                 {"value": "+1965"}]},
             {"field_id": w.email,
              "values": [{"value": "ivan@example.com", "enum_id": w.enums["EPRIV"]}]},
         ]},
        {"name": "Only Name", "group_id": 7, "is_deleted": True, "closest_task_at": 5},
    ]  # fmt: skip
    response = _call(client, factory, w, "POST", "/api/v4/contacts", body)
    assert response.status_code == 200, response.text
    got = response.json()
    ivan, only = (c["id"] for c in got["_embedded"]["contacts"])
    assert got == {
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts"}},
        "_embedded": {"contacts": [
            {"id": ivan, "is_deleted": False, "is_unsorted": False, "request_id": "ivan",
             "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{ivan}"}}},
            {"id": only, "is_deleted": False, "is_unsorted": False, "request_id": "1",
             "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{only}"}}},
        ]},
    }  # fmt: skip
    read = _read(client, factory, w, "contacts", ivan)
    admin = w.account.admin
    assert read == {
        "id": ivan, "name": "Ivan Petrov", "first_name": "Ivan", "last_name": "Petrov",
        "responsible_user_id": admin, "group_id": w.account.groups["one"],
        "created_by": admin, "updated_by": admin, "created_at": read["created_at"],
        "updated_at": read["created_at"], "closest_task_at": None, "is_deleted": False,
        "is_unsorted": False,
        "custom_fields_values": [
            {"field_id": w.phone, "field_name": "Phone", "field_code": "PHONE",
             "field_type": "multitext", "values": [
                 {"value": "+79991234567", "enum_id": w.enums["WORK"], "enum_code": "WORK"},
                 {"value": "+7 999 765-43-21", "enum_id": w.enums["MOB"], "enum_code": "MOB"},
                 {"value": "+1965", "enum_id": w.enums["WORK"], "enum_code": "WORK"}]},
            {"field_id": w.email, "field_name": "Email", "field_code": "EMAIL",
             "field_type": "multitext", "values": [
                 {"value": "ivan@example.com", "enum_id": w.enums["EPRIV"], "enum_code": "PRIV"}]},
        ],
        "account_id": w.account.id,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{ivan}"}},
        "_embedded": {"tags": [], "companies": []},
    }  # fmt: skip
    only_read = _read(client, factory, w, "contacts", only)
    assert (only_read["name"], only_read["first_name"], only_read["last_name"]) == (
        "Only Name", "", "",
    )  # fmt: skip
    assert (only_read["group_id"], only_read["closest_task_at"]) == (w.account.groups["one"], None)
    # found by its phone right away
    found = _call(client, factory, w, "GET", "/api/v4/contacts?query=89997654321", None)
    assert [c["id"] for c in found.json()["_embedded"]["contacts"]] == [ivan]


def test_add_companies_whole(client: TestClient, factory: Factory, w: W):
    body = [{"name": "Acme", "custom_fields_values": [
        {"field_code": "WEB", "values": [{"value": "https://acme.example"}]}]}]  # fmt: skip
    response = _call(client, factory, w, "POST", "/api/v4/companies", body)
    assert response.status_code == 200, response.text
    (cid,) = (c["id"] for c in response.json()["_embedded"]["companies"])
    assert response.json() == {
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/companies"}},
        "_embedded": {"companies": [
            {"id": cid, "request_id": "0",
             "_links": {"self": {"href": f"{ORIGIN}/api/v4/companies/{cid}"}}}]},
    }  # fmt: skip
    read = _read(client, factory, w, "companies", cid)
    assert read["name"] == "Acme"
    assert read["custom_fields_values"] == [
        {"field_id": w.company_web, "field_name": "Web", "field_code": "WEB", "field_type": "url",
         "values": [{"value": "https://acme.example"}]}
    ]  # fmt: skip


def test_edit_batch_and_one(client: TestClient, factory: Factory, w: W):
    added = _call(client, factory, w, "POST", "/api/v4/contacts", [
        {"first_name": "Ann", "last_name": "Lee", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "111"}, {"value": "222"}]},
            {"field_code": "EMAIL", "values": [{"value": "ann@example.com"}]}]}])  # fmt: skip
    (cid,) = (c["id"] for c in added.json()["_embedded"]["contacts"])
    edit = [{"id": cid, "last_name": "Smith", "updated_at": 1_700_000_000, "request_id": "r",
             "custom_fields_values": [
                 {"field_code": "PHONE", "values": [{"value": "333", "enum_code": "MOB"}]},
                 {"field_code": "EMAIL", "values": None}]}]  # fmt: skip
    response = _call(client, factory, w, "PATCH", "/api/v4/contacts", edit)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts"}},
        "_embedded": {"contacts": [
            {"id": cid, "name": "Ann Smith", "updated_at": 1_700_000_000, "is_deleted": False,
             "is_unsorted": False, "request_id": "r",
             "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{cid}"}}}]},
    }  # fmt: skip
    read = _read(client, factory, w, "contacts", cid)
    assert (read["name"], read["last_name"], read["updated_at"]) == (
        "Ann Smith",
        "Smith",
        1_700_000_000,
    )
    assert read["custom_fields_values"] == [
        {"field_id": w.phone, "field_name": "Phone", "field_code": "PHONE",
         "field_type": "multitext",
         "values": [{"value": "333", "enum_id": w.enums["MOB"], "enum_code": "MOB"}]}
    ]  # fmt: skip
    one = _call(client, factory, w, "PATCH", f"/api/v4/contacts/{cid}", {"name": "Annie"})
    assert one.status_code == 200
    assert one.json() == {
        "id": cid, "name": "Annie", "updated_at": one.json()["updated_at"], "is_deleted": False,
        "is_unsorted": False, "request_id": "0",
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{cid}"}},
    }  # fmt: skip
    assert _read(client, factory, w, "contacts", cid)["first_name"] == "Ann"
    array = _call(client, factory, w, "PATCH", f"/api/v4/contacts/{cid}", [{"name": "X"}])
    assert_problem(array, 405, problem(405, "Method Not Allowed", "Method Not Allowed"))
    company = add_party(factory, w.account, "companies", w.account.admin, name="Old")
    response = _call(client, factory, w, "PATCH", f"/api/v4/companies/{company}",
                     {"name": "New", "updated_at": 1_700_000_001})  # fmt: skip
    assert response.json() == {
        "id": company, "name": "New", "updated_at": 1_700_000_001, "request_id": "0",
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/companies/{company}"}},
    }  # fmt: skip


def _count(client: TestClient, factory: Factory, w: W, kind: str) -> int:
    response = _call(client, factory, w, "GET", f"/api/v4/{kind}?limit=250", None)
    return 0 if response.status_code == 204 else len(response.json()["_embedded"][kind])


def test_bad_input_changes_nothing(client: TestClient, factory: Factory, w: W):
    other = factory.account()
    foreign = add_party(factory, other, "contacts", other.admin)
    mine = add_party(factory, w.account, "contacts", w.account.admin, name="Keep")
    gone = add_party(factory, w.account, "contacts", w.account.admin, is_deleted=True)
    before = _count(client, factory, w, "contacts")
    bad = [
        {"name": "ok"},
        {"name": 5, "responsible_user_id": 999_999_999, "created_at": "soon"},
        {"custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "1", "enum_code": "NOPE"}]},
            {"field_id": 123_456_789, "values": [{"value": "x"}]}]},
        "not an object",
    ]  # fmt: skip
    response = _call(client, factory, w, "POST", "/api/v4/contacts", bad)
    nsc = "The value you selected is not a valid choice."
    assert_problem(response, 400, validation_body(
        ("1", [("InvalidType", "name", "This value should be of type string."),
               ("InvalidType", "created_at", "This value should be of type int."),
               ("NotSupportedChoice", "responsible_user_id", nsc)]),
        ("2", [("NotSupportedChoice", "custom_fields_values.0.values.0.enum_code", nsc),
               ("NotSupportedChoice", "custom_fields_values.1.field_id", nsc)]),
        ("3", [("InvalidType", "", "This value should be of type object.")]),
    ))  # fmt: skip
    assert _count(client, factory, w, "contacts") == before
    edits = [{"id": mine, "name": "Changed"}, {"id": foreign, "name": "x"}, {"id": gone},
             {"name": "no id"}, {"id": "abc"}]  # fmt: skip
    response = _call(client, factory, w, "PATCH", "/api/v4/contacts", edits)
    assert response.status_code == 400
    assert response.json() == validation_body(
        ("1", [("NotSupportedChoice", "id", nsc)]),
        ("2", [("NotSupportedChoice", "id", nsc)]),
        ("3", [("FieldMissing", "id", "This field is missing.")]),
        ("4", [("InvalidType", "id", "This value should be of type int.")]),
    )
    assert _read(client, factory, w, "contacts", mine)["name"] == "Keep"
    response = _call(client, factory, w, "PATCH", f"/api/v4/contacts/{foreign}", {"name": "x"})
    assert_problem(response, 400, not_a_choice("0", "id"))
    too_many = _call(client, factory, w, "POST", "/api/v4/contacts", [{}] * 251)
    assert_problem(too_many, 422, problem(422, "Unprocessable Entity", "Limit 250 per page"))
    assert _count(client, factory, w, "contacts") == before


def test_rights(client: TestClient, factory: Factory, w: W):
    a = w.account
    denied = add_user(factory, a, contacts="A", companies="A", group="two", add="D")
    response = _call(client, factory, w, "POST", "/api/v4/contacts", [{"name": "x"}], denied)
    assert_problem(response, 403, problem(403, "Forbidden", "Access denied"))
    own_only = add_user(factory, a, contacts="M", companies="M", group="two")
    others = add_party(factory, a, "contacts", a.admin, name="Admin's")
    response = _call(client, factory, w, "PATCH", f"/api/v4/contacts/{others}", {"name": "x"},
                     own_only)  # fmt: skip
    assert_problem(response, 400, not_a_choice("0", "id"))  # unseen: absent, as a lead is
    assert _read(client, factory, w, "contacts", others)["name"] == "Admin's"
    mine = add_party(factory, a, "contacts", own_only, name="Mine")
    url = f"/api/v4/contacts/{mine}"
    response = _call(client, factory, w, "PATCH", url, {"name": "Still mine"}, own_only)
    assert response.status_code == 200
    assert _read(client, factory, w, "contacts", mine)["name"] == "Still mine"
    no_edit = add_user(factory, a, contacts="A", companies="A", edit="D")
    response = _call(client, factory, w, "PATCH", "/api/v4/contacts", [{"id": mine, "name": "y"}],
                     no_edit)  # fmt: skip
    assert_problem(response, 403, {
        "validation-errors": [{"request_id": "0", "errors": [
            {"code": "AccessDenied", "path": "id",
             "detail": "You do not have the right to do this."}]}],
        **problem(403, "Forbidden", "Access denied"),
    })  # fmt: skip
    assert _read(client, factory, w, "contacts", mine)["name"] == "Still mine"


def test_tags_of_contacts_and_companies(client: TestClient, factory: Factory, w: W):
    """Tags by name create them in the entity's own directory (colour null); ids must be the
    entity's tags; ``_embedded.tags`` replaces, ``tags_to_add``/``tags_to_delete`` adjust."""
    coloured = [{"name": "vip", "color": "FF8F92"}, {"name": "cold", "color": "nope"}]
    made = _call(client, factory, w, "POST", "/api/v4/contacts/tags", coloured)
    assert made.status_code == 200, made.text
    vip, cold = (t["id"] for t in made.json()["_embedded"]["tags"])
    assert made.json() == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/tags"}},
        "_embedded": {"tags": [
            {"id": vip, "name": "vip", "color": None, "request_id": "0"},
            {"id": cold, "name": "cold", "color": None, "request_id": "1"}]},
    }  # fmt: skip
    lead_tag = _call(client, factory, w, "POST", "/api/v4/leads/tags", [{"name": "vip"}])
    lead_vip = lead_tag.json()["_embedded"]["tags"][0]["id"]
    assert lead_vip not in (vip, cold)  # a name yields different ids per entity type
    added = _call(client, factory, w, "POST", "/api/v4/contacts", [
        {"name": "Tagged", "_embedded": {"tags": [{"id": vip}, {"name": "fresh"}]}}])  # fmt: skip
    assert added.status_code == 200, added.text
    (cid,) = (c["id"] for c in added.json()["_embedded"]["contacts"])
    tags = _read(client, factory, w, "contacts", cid)["_embedded"]["tags"]
    fresh = next(t["id"] for t in tags if t["name"] == "fresh")
    assert tags == [{"id": vip, "name": "vip", "color": None},
                    {"id": fresh, "name": "fresh", "color": None}]  # fmt: skip
    listed = _call(client, factory, w, "GET", "/api/v4/contacts/tags?query=fre", None).json()
    assert [t["id"] for t in listed["_embedded"]["tags"]] == [fresh]
    edit = [{"id": cid, "tags_to_add": [{"id": cold}], "tags_to_delete": [{"name": "vip"}]}]
    assert _call(client, factory, w, "PATCH", "/api/v4/contacts", edit).status_code == 200
    tags = _read(client, factory, w, "contacts", cid)["_embedded"]["tags"]
    assert [t["id"] for t in tags] == [cold, fresh]
    cleared = [{"id": cid, "_embedded": {"tags": []}}]
    assert _call(client, factory, w, "PATCH", "/api/v4/contacts", cleared).status_code == 200
    assert _read(client, factory, w, "contacts", cid)["_embedded"]["tags"] == []
    wrong = [{"id": cid, "tags_to_add": [{"id": lead_vip}, {"id": "x"}, {}]}]
    response = _call(client, factory, w, "PATCH", "/api/v4/contacts", wrong)
    nsc = "The value you selected is not a valid choice."
    assert_problem(response, 400, validation_body(("0", [
        ("InvalidType", "tags_to_add.1.id", "This value should be of type int."),
        ("FieldMissing", "tags_to_add.2.id", "This field is missing."),
        ("NotSupportedChoice", "tags_to_add.0.id", nsc),
    ])))  # fmt: skip
    company = _call(client, factory, w, "POST", "/api/v4/companies",
                    [{"name": "T", "tags_to_add": [{"name": "vip"}]}])  # fmt: skip
    (co,) = (c["id"] for c in company.json()["_embedded"]["companies"])
    (tag,) = _read(client, factory, w, "companies", co)["_embedded"]["tags"]
    assert tag["name"] == "vip" and tag["id"] not in (vip, lead_vip)


def test_writes_record_events(client: TestClient, factory: Factory):
    """In the writing transaction: ``contact_added``/``company_added`` (with a tag's
    ``entity_tag_added``), then per edit ``name_field_changed``, ``entity_responsible_changed``
    and the tag events; a refused batch records nothing. (Read from the table here;
    tests/events/test_party_events.py reads them through the events API.)"""
    a = factory.account()
    other = factory.user(a, group="two")
    w = W(a, 0, 0, {}, 0)
    added = _call(client, factory, w, "POST", "/api/v4/contacts",
                  [{"name": "Ev", "tags_to_add": [{"name": "t1"}]}])  # fmt: skip
    (cid,) = (c["id"] for c in added.json()["_embedded"]["contacts"])
    company = _call(client, factory, w, "POST", "/api/v4/companies", [{"name": "Co"}])
    (co,) = (c["id"] for c in company.json()["_embedded"]["companies"])
    edit = [{"id": cid, "name": "Ev 2", "responsible_user_id": other,
             "_embedded": {"tags": [{"name": "t2"}]}}]  # fmt: skip
    assert _call(client, factory, w, "PATCH", "/api/v4/contacts", edit).status_code == 200
    refused = [{"id": cid, "name": "never"}, {"id": 1}]
    assert _call(client, factory, w, "PATCH", "/api/v4/contacts", refused).status_code == 400
    with factory.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT type, entity_type, entity_id, created_by, value_after, value_before "
                "FROM events WHERE account_id = :a ORDER BY id"
            ),
            {"a": a.id},
        ).all()
    admin = a.admin
    found = [(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5])) for r in rows]
    # the system notes "contact created" and "company created": ids of the notes' sequence,
    # never listed or served (as lead_added's)
    contact_note, company_note = found[0][4][0]["note"]["id"], found[2][4][0]["note"]["id"]
    assert isinstance(contact_note, int) and company_note > contact_note
    for path in (f"/api/v4/contacts/notes/{contact_note}",
                 f"/api/v4/contacts/{cid}/notes/{contact_note}", f"/api/v4/contacts/{cid}/notes",
                 f"/api/v4/companies/notes/{company_note}",
                 f"/api/v4/companies/{co}/notes/{company_note}", f"/api/v4/companies/{co}/notes",
                 "/api/v4/contacts/notes", "/api/v4/companies/notes"):  # fmt: skip
        assert _call(client, factory, w, "GET", path, None).status_code == 204, path
    assert found == [
        ("contact_added", "contact", cid, admin, [{"note": {"id": contact_note}}], []),
        ("entity_tag_added", "contact", cid, admin, [{"tag": {"name": "t1"}}], []),
        ("company_added", "company", co, admin, [{"note": {"id": company_note}}], []),
        ("name_field_changed", "contact", cid, admin, [{"name_field_value": {"name": "Ev 2"}}],
         [{"name_field_value": {"name": "Ev"}}]),
        ("entity_responsible_changed", "contact", cid, admin,
         [{"responsible_user": {"id": other}}], [{"responsible_user": {"id": admin}}]),
        ("entity_tag_added", "contact", cid, admin, [{"tag": {"name": "t2"}}], []),
        ("entity_tag_deleted", "contact", cid, admin, [], [{"tag": {"name": "t1"}}]),
    ]  # fmt: skip
