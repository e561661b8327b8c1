"""GET /api/v4/contacts/{id}/links, /companies/{id}/links and their ``/links?filter[entity_id]``
forms: the leads' links read from the other end, whole, with filters, 204s and rights."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.factories import Factory
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
