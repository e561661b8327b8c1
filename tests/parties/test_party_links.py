"""GET /api/v4/contacts/{id}/links, /companies/{id}/links and their ``/links?filter[entity_id]``
forms: the leads' links read from the other end, whole, with filters, 204s and rights."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import validation_body
from tests.parties.helpers import add_party, add_user

ORIGIN = "http://testserver"


def test_links_from_both_sides(client: TestClient, factory: Factory):
    a = factory.account()
    contact = add_party(factory, a, "contacts", a.admin)
    company = add_party(factory, a, "companies", a.admin)
    gone = add_party(factory, a, "companies", a.admin, is_deleted=True)
    lead, other_lead = factory.lead(a), factory.lead(a)
    deleted_lead = factory.lead(a, is_deleted=True)
    factory.link("company_contacts", a, company_id=company, contact_id=contact)
    factory.link("company_contacts", a, company_id=gone, contact_id=contact)
    for lead_id in (other_lead, lead, deleted_lead):
        factory.link("lead_contacts", a, lead_id=lead_id, contact_id=contact, is_main=True)
    factory.link("lead_companies", a, lead_id=lead, company_id=company)
    token = factory.token(a, a.admin)

    def get(url: str, user_token: str = token) -> Any:
        return client.get(url, headers={"Authorization": f"Bearer {user_token}"})

    def link(to_id: int, to_type: str, **extra: Any) -> dict[str, Any]:
        return {**extra, "to_entity_id": to_id, "to_entity_type": to_type, "metadata": None}

    response = get(f"/api/v4/contacts/{contact}/links")
    assert response.status_code == 200
    assert response.json() == {
        "_total_items": 3,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{contact}/links"}},
        "_embedded": {"links": [link(company, "companies"), link(lead, "leads"),
                                link(other_lead, "leads")]},
    }  # fmt: skip
    response = get(f"/api/v4/companies/{company}/links")
    assert response.json()["_embedded"]["links"] == [link(contact, "contacts"), link(lead, "leads")]
    filtered = get(f"/api/v4/contacts/{contact}/links?filter[to_entity_type]=companies")
    assert filtered.json()["_embedded"]["links"] == [link(company, "companies")]
    many = get(f"/api/v4/companies/links?filter[entity_id][]={company}&filter[entity_id][]={gone}")
    assert many.json()["_embedded"]["links"] == [
        link(contact, "contacts", entity_id=company, entity_type="companies"),
        link(lead, "leads", entity_id=company, entity_type="companies"),
    ]
    assert get("/api/v4/contacts/links").status_code == 400
    other = factory.account()
    foreign = add_party(factory, other, "contacts", other.admin)
    for url in (f"/api/v4/companies/{gone}/links", f"/api/v4/contacts/{foreign}/links",
                f"/api/v4/contacts/{contact}/links?filter[to_entity_type]=customers"):  # fmt: skip
        response = get(url)
        assert (response.status_code, response.content) == (204, b""), url
    blind = add_user(factory, a, contacts="M", companies="M")
    assert get(f"/api/v4/contacts/{contact}/links", factory.token(a, blind)).status_code == 204


def test_link_and_unlink_from_a_contact_or_company(client: TestClient, factory: Factory):
    a = factory.account()
    contact = add_party(factory, a, "contacts", a.admin)
    first = add_party(factory, a, "companies", a.admin)
    second = add_party(factory, a, "companies", a.admin)
    lead = factory.lead(a)
    token = factory.token(a, a.admin)
    headers = {"Authorization": f"Bearer {token}"}

    def post(url: str, body: Any, user_headers: dict[str, str] = headers) -> Any:
        return client.post(url, json=body, headers=user_headers)

    def links(kind: str, pid: int) -> list[tuple[int, str]]:
        response = client.get(f"/api/v4/{kind}/{pid}/links", headers=headers)
        if response.status_code == 204:
            return []
        return [
            (x["to_entity_id"], x["to_entity_type"]) for x in response.json()["_embedded"]["links"]
        ]

    body = [{"to_entity_id": first, "to_entity_type": "companies"},
            {"to_entity_id": lead, "to_entity_type": "leads"}]  # fmt: skip
    response = post(f"/api/v4/contacts/{contact}/link", body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{contact}/link"}},
        "_embedded": {"links": [
            {"entity_id": contact, "entity_type": "contacts", "to_entity_id": first,
             "to_entity_type": "companies", "metadata": None},
            {"entity_id": contact, "entity_type": "contacts", "to_entity_id": lead,
             "to_entity_type": "leads", "metadata": None}]},
    }  # fmt: skip
    assert links("contacts", contact) == [(first, "companies"), (lead, "leads")]
    lead_links = client.get(f"/api/v4/leads/{lead}/links", headers=headers).json()
    assert lead_links["_embedded"]["links"] == [
        {"to_entity_id": contact, "to_entity_type": "contacts", "metadata": {"main_contact": True}}
    ]
    # a second company replaces the first (one per contact), from the company's side
    back = [{"to_entity_id": contact, "to_entity_type": "contacts"}]
    assert post(f"/api/v4/companies/{second}/link", back).status_code == 200
    assert links("contacts", contact) == [(second, "companies"), (lead, "leads")]
    assert links("companies", first) == []
    unlink = [{"to_entity_id": lead, "to_entity_type": "leads"}]
    response = post(f"/api/v4/contacts/{contact}/unlink", unlink)
    assert (response.status_code, response.content) == (204, b"")
    assert links("contacts", contact) == [(second, "companies")]
    # bad input answers Kommo's errors and changes nothing
    bad = [{"to_entity_id": 999_999_999, "to_entity_type": "companies"},
           {"to_entity_id": first, "to_entity_type": "customers"}, {}]  # fmt: skip
    response = post(f"/api/v4/contacts/{contact}/link", bad)
    assert response.status_code == 400
    nsc = "The value you selected is not a valid choice."
    missing = "This field is missing."
    assert response.json() == validation_body(
        ("0", [("NotSupportedChoice", "to_entity_id", nsc)]),
        ("1", [("NotSupportedChoice", "to_entity_type", nsc)]),
        ("2", [("FieldMissing", "to_entity_id", missing),
               ("FieldMissing", "to_entity_type", missing)]),
    )  # fmt: skip
    assert links("contacts", contact) == [(second, "companies")]
    other = factory.account()
    foreign = add_party(factory, other, "contacts", other.admin)
    assert post(f"/api/v4/contacts/{foreign}/link", back).status_code == 404
    viewer = add_user(factory, a, contacts="A", companies="A", edit="D")
    viewer_headers = {"Authorization": f"Bearer {factory.token(a, viewer)}"}
    response = post(f"/api/v4/contacts/{contact}/link", body, viewer_headers)
    assert response.status_code == 403
