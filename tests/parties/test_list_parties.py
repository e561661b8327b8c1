"""GET /api/v4/contacts and /api/v4/companies: whole pages, every filter, ``query`` (phones as
digits, e-mails, names, ids), order, ``with``, and the view rights inside the SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.db import schema
from tests.factories import NOW, Account, Factory
from tests.parties.helpers import add_party, add_user

ORIGIN = "http://testserver"


@dataclass
class World:
    account: Account
    owner: int
    """group "one"; responsible for ``ada`` and ``bob``"""
    other: int
    """group "two"; responsible for ``cyd`` and the company"""
    phone: int
    email: int
    enums: dict[str, int]
    ada: int
    bob: int
    cyd: int
    gone: int
    company: int
    lead: int


def _value(factory: Factory, a: Account, kind: str, pid: int, fid: int, pos: int, **cols: Any):
    table, owner = (
        ("contact_custom_field_values", "contact_id")
        if kind == "contacts"
        else ("company_custom_field_values", "company_id")
    )
    row = {
        "account_id": a.id, owner: pid, "field_id": fid, "position": pos, "enum_id": None,
        "value_text": None, "value_number": None, "value_int": None, "value_json": None,
    }  # fmt: skip
    factory._insert(schema.metadata.tables[table], [{**row, **cols}])


@pytest.fixture(scope="module")
def world(factory: Factory) -> World:
    a = factory.account()
    owner = factory.user(a, group="one")
    other = factory.user(a, group="two")
    phone, (work, mob) = factory.field(
        a, "multitext", "Phone", "PHONE", [("WORK", None), ("MOB", None)], 2, "contacts"
    )
    email, (ework,) = factory.field(
        a, "multitext", "Email", "EMAIL", [("WORK", None)], 3, "contacts"
    )
    ada = add_party(factory, a, "contacts", owner, name="Ada Lovelace", created_at=NOW - 300,
                    updated_at=NOW - 10)  # fmt: skip
    bob = add_party(factory, a, "contacts", owner, name="Bob Stone", first_name="Bob",
                    last_name="Stone", created_at=NOW - 200, updated_at=NOW - 30)  # fmt: skip
    cyd = add_party(factory, a, "contacts", other, name="Cyd Charisse", first_name="Cyd",
                    last_name="Charisse", created_at=NOW - 100, updated_at=NOW - 20)  # fmt: skip
    gone = add_party(factory, a, "contacts", owner, is_deleted=True)
    _value(factory, a, "contacts", ada, phone, 0, enum_id=work, value_text="+7 (999) 123-45-67")
    _value(factory, a, "contacts", ada, phone, 1, enum_id=mob, value_text="+1 965 000 1111")
    _value(factory, a, "contacts", ada, email, 0, enum_id=ework, value_text="Ada@Example.com")
    _value(factory, a, "contacts", bob, phone, 0, enum_id=mob, value_text="8 916 555-00-11")
    company = add_party(factory, a, "companies", other, name="Acme B.V.")
    factory.link("company_contacts", a, company_id=company, contact_id=ada)
    factory.link("company_contacts", a, company_id=company, contact_id=bob)
    lead = factory.lead(a)
    factory.link("lead_contacts", a, lead_id=lead, contact_id=ada, is_main=True)
    factory.link("lead_companies", a, lead_id=lead, company_id=company)
    other_account = factory.account()
    add_party(factory, other_account, "contacts", other_account.admin, name="Ada Lovelace")
    return World(a, owner, other, phone, email, {"WORK": work, "MOB": mob, "EWORK": ework},
                 ada, bob, cyd, gone, company, lead)  # fmt: skip


def _get(client: TestClient, factory: Factory, w: World, url: str, user: int | None = None) -> Any:
    token = factory.token(w.account, user or w.account.admin)
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def _ids(client: TestClient, factory: Factory, w: World, url: str, user: int | None = None):
    response = _get(client, factory, w, url, user)
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.text
    key = "contacts" if "/contacts" in url else "companies"
    return [item["id"] for item in response.json()["_embedded"][key]]


def _ref(kind: str, i: int) -> dict[str, Any]:
    return {"id": i, "_links": {"self": {"href": f"{ORIGIN}/api/v4/{kind}/{i}"}}}


def test_whole_page_with_leads(client: TestClient, factory: Factory, world: World):
    w = world
    query = f"filter[id][]={w.ada}&with=leads,customers,catalog_elements"
    response = _get(client, factory, w, f"/api/v4/contacts?{query}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    ada = {
        "id": w.ada, "name": "Ada Lovelace", "first_name": "Ada",
        "last_name": f"Lovelace {w.ada}", "responsible_user_id": w.owner,
        "group_id": w.account.groups["one"], "created_by": w.owner, "updated_by": w.owner,
        "created_at": NOW - 300, "updated_at": NOW - 10, "closest_task_at": None,
        "is_deleted": False, "is_unsorted": False,
        "custom_fields_values": [
            {"field_id": w.phone, "field_name": "Phone", "field_code": "PHONE",
             "field_type": "multitext",
             "values": [
                 {"value": "+7 (999) 123-45-67", "enum_id": w.enums["WORK"], "enum_code": "WORK"},
                 {"value": "+1 965 000 1111", "enum_id": w.enums["MOB"], "enum_code": "MOB"}]},
            {"field_id": w.email, "field_name": "Email", "field_code": "EMAIL",
             "field_type": "multitext",
             "values": [
                 {"value": "Ada@Example.com", "enum_id": w.enums["EWORK"], "enum_code": "WORK"}]},
        ],
        "account_id": w.account.id,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{w.ada}"}},
        "_embedded": {
            "tags": [], "leads": [_ref("leads", w.lead)], "customers": [],
            "catalog_elements": [], "companies": [_ref("companies", w.company)],
        },
    }  # fmt: skip
    assert body["_embedded"]["contacts"][0]["custom_fields_values"] == ada["custom_fields_values"]
    assert body["_embedded"]["contacts"][0]["_embedded"] == ada["_embedded"]
    assert body == {
        "_page": 1,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts?{query}&page=1&limit=50"}},
        "_embedded": {"contacts": [ada]},
    }
    assert list(body["_embedded"]["contacts"][0]["_embedded"]) == [
        "tags", "leads", "customers", "catalog_elements", "companies"
    ]  # fmt: skip
    by_id = _get(
        client, factory, w, f"/api/v4/contacts/{w.ada}?with=leads,customers,catalog_elements"
    )
    assert by_id.json() == ada


def test_company_with_contacts_and_leads(client: TestClient, factory: Factory, world: World):
    w = world
    response = _get(client, factory, w, "/api/v4/companies?with=contacts,leads")
    assert response.status_code == 200
    (company,) = response.json()["_embedded"]["companies"]
    assert company["_embedded"] == {
        "tags": [], "leads": [_ref("leads", w.lead)],
        "contacts": [_ref("contacts", w.ada), _ref("contacts", w.bob)],
    }  # fmt: skip
    assert "is_unsorted" not in company


def test_paging_and_next(client: TestClient, factory: Factory, world: World):
    w = world
    response = _get(client, factory, w, "/api/v4/contacts?limit=2")
    body = response.json()
    assert [c["id"] for c in body["_embedded"]["contacts"]] == [w.ada, w.bob]
    assert body["_links"] == {
        "self": {"href": f"{ORIGIN}/api/v4/contacts?limit=2&page=1"},
        "next": {"href": f"{ORIGIN}/api/v4/contacts?limit=2&page=2"},
    }
    assert _ids(client, factory, w, "/api/v4/contacts?limit=2&page=2") == [w.cyd]
    assert _get(client, factory, w, "/api/v4/contacts?limit=2&page=3").status_code == 204


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["ada", "bob", "cyd"]),
        ("filter[id]={ada}", ["ada"]),
        ("filter[id][]={ada}&filter[id][]={cyd}", ["ada", "cyd"]),
        ("filter[id]=abc", []),
        ("filter[name]=Bob Stone", ["bob"]),
        ("filter[name][]=Bob Stone&filter[name][]=Cyd Charisse", ["bob", "cyd"]),
        ("filter[responsible_user_id]={other}", ["cyd"]),
        ("filter[created_by][]={owner}", ["ada", "bob"]),
        ("filter[updated_by]={other}", ["cyd"]),
        ("filter[created_at][from]={t250}", ["bob", "cyd"]),
        ("filter[created_at][from]={t250}&filter[created_at][to]={t150}", ["bob"]),
        ("filter[updated_at][to]={t25}", ["bob"]),
        ("filter[closest_task_at][from]=1", []),
        ("order[updated_at]=desc", ["ada", "cyd", "bob"]),
        ("order[updated_at]=asc", ["bob", "cyd", "ada"]),
        ("order[id]=desc", ["cyd", "bob", "ada"]),
        ("order=updated_at_desc", ["ada", "bob", "cyd"]),
        ("with=only_deleted", ["gone"]),
        # query: names, e-mails (any case), phones as digits, ids
        ("query=lovelace", ["ada"]),
        ("query=CHARISSE", ["cyd"]),
        ("query=ada@example", ["ada"]),
        ("query=79991234567", ["ada"]),
        ("query=%2B7 999 123-45-67", ["ada"]),
        ("query=89991234567", ["ada"]),
        ("query=123-45", ["ada"]),
        ("query=5550011", ["bob"]),
        ("query=0000000", []),
        ("query={cyd}", ["cyd"]),
        ("query=nobody", []),
        ("query=%25", []),
        # custom field filters by code (the SDK) and by id; phones as digits
        ("filter[custom_fields_values][PHONE][]=89165550011", ["bob"]),
        ("filter[custom_fields_values][{phone}][]=%2B79991234567", ["ada"]),
        ("filter[custom_fields_values][EMAIL][]=ada@example.com", ["ada"]),
        ("filter[custom_fields_values][EMAIL][]=bob@example.com", []),
        ("filter[custom_fields_values][NOPE][]=1", []),
        ("filter[custom_fields_values][999999999][]=1", []),
    ],
)
def test_filters_order_and_query(
    client: TestClient, factory: Factory, world: World, query: str, expected: list[str]
):
    w = world
    names = {"ada": w.ada, "bob": w.bob, "cyd": w.cyd, "gone": w.gone}
    filled = query.format(
        ada=w.ada, cyd=w.cyd, owner=w.owner, other=w.other, phone=w.phone,
        t250=NOW - 250, t150=NOW - 150, t25=NOW - 25,
    )  # fmt: skip
    assert _ids(client, factory, w, f"/api/v4/contacts?{filled}") == [names[n] for n in expected]


@pytest.mark.parametrize(
    ("code", "contacts", "companies"),
    [("A", ["ada", "bob", "cyd"], True), ("G", ["ada", "bob"], False), ("M", [], False),
     ("D", [], False)],
)  # fmt: skip
def test_view_rights_inside_the_list(
    client: TestClient,
    factory: Factory,
    world: World,
    code: str,
    contacts: list[str],
    companies: bool,
):
    """A user of group "one" responsible for nothing: A sees all, G its group's, M its own."""
    w = world
    user = add_user(factory, w.account, contacts=code, companies=code, group="one")
    names = {"ada": w.ada, "bob": w.bob, "cyd": w.cyd}
    assert _ids(client, factory, w, "/api/v4/contacts", user) == [names[n] for n in contacts]
    assert _ids(client, factory, w, "/api/v4/companies", user) == ([w.company] if companies else [])


def test_owner_sees_own_under_m(client: TestClient, factory: Factory, world: World):
    w = world
    user = add_user(factory, w.account, contacts="M", companies="M", group="two")
    assert _ids(client, factory, w, "/api/v4/contacts", user) == []
    own = add_party(factory, w.account, "contacts", user, name="Mine")
    assert _ids(client, factory, w, "/api/v4/contacts", user) == [own]
