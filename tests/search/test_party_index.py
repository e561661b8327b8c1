"""``query`` and the phone and e-mail filters on contact and company lists, answered from the
party search index (FTS5 trigram / pg_trgm) exactly as the scan answers them (neighbours §2.3),
on both databases: the edge cases, and the index kept true by every API write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from kommodore.db import schema
from kommodore.search.parties import inner_word, party_document, party_terms
from tests.factories import Account, Factory
from tests.parties.helpers import add_party
from tests.search.party_index import (
    assert_documents_true,
    assert_index_agrees_with_scan,
    queries_from,
    search_urls,
)


@dataclass
class World:
    account: Account
    headers: dict[str, str]
    ids: dict[str, int]
    phone: int
    email: int


def _value(factory: Factory, a: Account, kind: str, pid: int, fid: int, pos: int, text: str):
    table, owner = (
        ("contact_custom_field_values", "contact_id")
        if kind == "contacts"
        else ("company_custom_field_values", "company_id")
    )
    factory._insert(
        schema.metadata.tables[table],
        [{"account_id": a.id, owner: pid, "field_id": fid, "position": pos, "enum_id": None,
          "value_text": text, "value_number": None, "value_int": None, "value_json": None}],
    )  # fmt: skip


@pytest.fixture(scope="module")
def world(factory: Factory) -> World:
    a = factory.account()
    owner = a.admin
    phone, _ = factory.field(a, "multitext", "Phone", "PHONE", [("WORK", None)], 2, "contacts")
    email, _ = factory.field(a, "multitext", "Email", "EMAIL", [("WORK", None)], 3, "contacts")
    company_phone, _ = factory.field(
        a, "multitext", "Phone", "PHONE", [("WORK", None)], 2, "companies"
    )
    ids: dict[str, int] = {}

    def contact(key: str, name: str, **columns: Any) -> int:
        ids[key] = add_party(factory, a, "contacts", owner, name=name, first_name="",
                             last_name="", **columns)  # fmt: skip
        return ids[key]

    _value(factory, a, "contacts", contact("plus7", "Ivan Petrov"), phone, 0, "+7 (912) 345-67-89")
    _value(factory, a, "contacts", contact("eight", "Olga"), phone, 0, "8 912 345 67 89")
    _value(factory, a, "contacts", contact("us", "Sam"), phone, 0, "+1 912 345 0000")
    _value(factory, a, "contacts", contact("mail", "John Doe"), email, 0, "John.Doe@Example.COM")
    contact("wild", "100% pure_gold \\ back")
    contact("plain", "100 pure gold")
    contact("cyrillic", "Ромашка")
    contact("office", "Office 8-800-555")
    _value(factory, a, "contacts", contact("blank", "Blank"), email, 0, "")
    # texts past what the terms keep: found through the documents and the long texts' term
    _value(factory, a, "contacts", contact("digits", "Many"), phone, 0, "1234567890" * 4)
    _value(factory, a, "contacts", contact("long", "Long"), email, 0, "Yy" * 150 + "@x.example")
    contact("deleted", "Ivan Deleted", is_deleted=True)
    ids["acme"] = add_party(factory, a, "companies", owner, name="Acme B.V.")
    _value(factory, a, "companies", ids["acme"], company_phone, 0, "+7 (912) 345-67-89")
    ids["zeta"] = add_party(factory, a, "companies", owner, name="Zeta")
    other = factory.account()
    add_party(factory, other, "contacts", other.admin, name="Ivan Petrov")
    headers = {"Authorization": f"Bearer {factory.token(a, a.admin)}"}
    return World(a, headers, ids, phone, email)


QUERIES: list[tuple[str, list[str], list[str]]] = [
    # query, contacts, companies
    ("+7 (912) 345-67-89", ["plus7", "eight"], ["acme"]),
    ("89123456789", ["plus7", "eight"], ["acme"]),  # the last 10 digits agree
    ("9123456789", ["plus7", "eight"], ["acme"]),
    ("345-67", ["plus7", "eight", "digits"], ["acme"]),
    ("90123456789012", ["digits"], []),
    ("912", ["plus7", "eight", "us"], ["acme"]),
    ("12", ["plus7", "eight", "us", "digits"], ["acme"]),  # short: below a trigram
    ("JOHN.DOE@example.com", ["mail"], []),
    ("doe@ex", ["mail"], []),
    ("n.doe@example.c", ["mail"], []),  # its inner words looked up whole
    ("% pure_g", ["wild"], []),
    ("jo", ["mail"], []),
    ("j", ["mail"], []),
    ("%", ["wild"], []),
    ("0%", ["wild"], []),
    ("_", ["wild"], []),
    ("e_g", ["wild"], []),
    ("\\", ["wild"], []),
    ("0 p", ["plain"], []),
    ("РОМАШ", ["cyrillic"], []),
    ("b.v.", [], ["acme"]),
    ("ivan", ["plus7"], []),
    ("8-800", ["office"], []),  # digits and phone punctuation in a name
    ("800 555", [], []),
    ("nothing like it", [], []),
]


@pytest.mark.parametrize(("query", "contacts", "companies"), QUERIES)
def test_query_edge_cases(client: TestClient, world: World, query, contacts, companies):
    urls = [f"/api/v4/{kind}?query={quote(query)}" for kind in ("contacts", "companies")]
    found = assert_index_agrees_with_scan(client, world.headers, urls)
    assert found == {
        urls[0]: sorted(world.ids[k] for k in contacts),
        urls[1]: sorted(world.ids[k] for k in companies),
    }


def test_a_numeric_query_finds_the_id(client: TestClient, world: World):
    url = f"/api/v4/contacts?query={world.ids['plain']}"
    assert assert_index_agrees_with_scan(client, world.headers, [url]) == {
        url: [world.ids["plain"]]
    }


@pytest.mark.parametrize(
    ("kind", "key", "value", "expected"),
    [("contacts", "PHONE", "8 (912) 345-67-89", ["plus7", "eight"]),
     ("contacts", "PHONE", "0000", ["us"]),
     ("contacts", "PHONE", "+1 (912) 345-67-89", ["plus7", "eight"]),
     ("companies", "PHONE", "79123456789", ["acme"]),
     ("contacts", "EMAIL", "john.doe@EXAMPLE.com", ["mail"]),
     ("contacts", "EMAIL", "doe@example.com", []),
     ("contacts", "EMAIL", "%", []),
     ("contacts", "PHONE", "+1 234 567 8901", ["digits"]),
     ("contacts", "EMAIL", "yY" * 150 + "@X.example", ["long"]),
     ("contacts", "EMAIL", "yY" * 150, [])],
)  # fmt: skip
def test_phone_and_email_filters(client: TestClient, world: World, kind, key, value, expected):
    url = f"/api/v4/{kind}?filter[custom_fields_values][{key}][]={quote(value)}"
    found = assert_index_agrees_with_scan(client, world.headers, [url])
    assert found == {url: sorted(world.ids[k] for k in expected)}


def test_an_empty_filter_value_agrees_with_the_scan(client: TestClient, world: World):
    url = "/api/v4/contacts?filter[custom_fields_values][EMAIL][]="
    assert_index_agrees_with_scan(client, world.headers, [url, url.replace("EMAIL", "PHONE")])


def test_the_filter_by_field_id_is_the_filter_by_code(client: TestClient, world: World):
    by_id = f"/api/v4/contacts?filter[custom_fields_values][{world.phone}][]=9123456789"
    found = assert_index_agrees_with_scan(client, world.headers, [by_id])
    assert found == {by_id: sorted([world.ids["plus7"], world.ids["eight"]])}


def test_documents_hold_names_values_and_phone_digits(factory: Factory, world: World):
    assert_documents_true(factory.engine, world.account.id)
    assert party_document(["Ivan", None, ""], ["+7 (912) 345-67-89", "A@B.COM", "123"]) == (
        "ivan\n+7 (912) 345-67-89\n79123456789\na@b.com\n123"
    )


def test_terms_and_inner_words():
    assert party_terms(["Ann Lee-Smith"], ["+7 (912) 345-67-89", "Ann@X.example"]) == {
        "wann", "wlee", "wsmith", "w912", "w345", "wexample",
        "#79123456789", "#9123456789", "#123456789", "#23456789", "#3456789",
        "=+7 (912) 345-67-89", "=ann@x.example",
    }  # fmt: skip
    assert party_terms([], ["1" * 33, "x" * 257]) == {"!", "w" + "1" * 33, "=" + "1" * 33}
    assert inner_word("n.DOE@example.c") == "example"
    assert inner_word("doe@ex") is None
    assert inner_word("a b c") is None
    assert inner_word("x_yz_") is None
    assert inner_word("x_xyz_") == "xyz"


def _call(client: TestClient, headers: dict[str, str], method: str, path: str, body: Any) -> Any:
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_api_write_keeps_the_index_true(client: TestClient, factory: Factory):
    a = factory.account()
    factory.field(a, "multitext", "Phone", "PHONE", [("WORK", None), ("MOB", None)], 2, "contacts")
    factory.field(a, "multitext", "Email", "EMAIL", [("WORK", None)], 3, "contacts")
    factory.field(a, "multitext", "Phone", "PHONE", [("WORK", None)], 2, "companies")
    headers = {"Authorization": f"Bearer {factory.token(a, a.admin)}"}

    def check(*, phones: tuple[str, ...] = (), emails: tuple[str, ...] = ()) -> None:
        assert_documents_true(factory.engine, a.id)
        urls = search_urls(queries_from(factory.engine, a.id), phones, emails)
        assert_index_agrees_with_scan(client, headers, urls)

    added = _call(client, headers, "POST", "/api/v4/contacts", [
        {"first_name": "Ann", "last_name": "Lee", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "+7 (912) 345-67-89"},
                                               {"value": "8 800 555 35 35"}]},
            {"field_code": "EMAIL", "values": [{"value": "Ann.Lee@Example.com"}]}]},
        {"name": "Bob Stone", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "89123456789"}]}]}])  # fmt: skip
    ann, bob = (c["id"] for c in added["_embedded"]["contacts"])
    companies = _call(client, headers, "POST", "/api/v4/companies", [
        {"name": "Acme", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "+1 (555) 010-9999"}]}]}])  # fmt: skip
    (acme,) = (c["id"] for c in companies["_embedded"]["companies"])
    check(phones=("9123456789", "+7 800 555-35-35"), emails=("ann.lee@example.COM",))

    _call(client, headers, "PATCH", "/api/v4/contacts", [
        {"id": ann, "last_name": "Smith", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "+44 20 7946 0000"}]},
            {"field_code": "EMAIL", "values": None}]},
        {"id": bob, "name": "Robert Stone"}])  # fmt: skip
    _call(client, headers, "PATCH", f"/api/v4/companies/{acme}", {"name": "Acme Holdings"})
    check(phones=("9123456789", "02079460000"), emails=("ann.lee@example.com",))
    assert _found(client, headers, "contacts", "smith") == [ann]
    assert _found(client, headers, "contacts", "ann.lee") == []
    assert _found(client, headers, "contacts", "8005553535") == []
    assert _found(client, headers, "contacts", "robert") == [bob]
    assert _found(client, headers, "companies", "holdings") == [acme]

    leads = _call(client, headers, "POST", "/api/v4/leads/complex", [
        {"name": "From the site", "_embedded": {
            "contacts": [{"first_name": "Cyd", "last_name": "Charisse", "custom_fields_values": [
                {"field_code": "PHONE", "values": [{"value": "+7 (495) 111-22-33"}]}]}],
            "companies": [{"name": "Globex", "custom_fields_values": [
                {"field_code": "PHONE", "values": [{"value": "8 495 111 22 33"}]}]}],
        }}])  # fmt: skip
    check(phones=("4951112233",))
    assert _found(client, headers, "contacts", "+7 495 111-22-33") == [leads[0]["contact_id"]]
    assert _found(client, headers, "companies", "84951112233") == [leads[0]["company_id"]]


def _found(client: TestClient, headers: dict[str, str], kind: str, query: str) -> list[int]:
    response = client.get(f"/api/v4/{kind}?query={quote(query)}", headers=headers)
    if response.status_code == 204:
        return []
    return [p["id"] for p in response.json()["_embedded"][kind]]
