"""The webhook deliveries contact and company writes queue, byte for byte: Kommo's
``contacts[add|update|responsible][i][...]`` form encoding for both (``type`` tells them
apart), only for subscribed events; a refused batch queues nothing."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.factories import Factory
from tests.parties.helpers import add_party
from tests.webhooks.helpers import add_webhook, deliveries


def test_contact_and_company_webhooks(client: TestClient, factory: Factory):
    a = factory.account()
    phone, (work,) = factory.field(a, "multitext", "Phone", "PHONE", [("WORK", None)], 2,
                                   "contacts")  # fmt: skip
    add_webhook(factory, a, "http://127.0.0.1:9/c", ("add_contact", "responsible_contact",
                                                     "update_company"))  # fmt: skip
    other = factory.user(a)
    token = factory.token(a, a.admin)
    headers = {"Authorization": f"Bearer {token}"}
    company = add_party(factory, a, "companies", a.admin, name="Acme & Co")
    lead = factory.lead(a)

    phones = [{"field_code": "PHONE", "values": [{"value": "+7 999"}]}]
    body = [{"name": "Ann Lee", "created_at": 1_700_000_000, "tags_to_add": [{"name": "vip"}],
             "custom_fields_values": phones}]  # fmt: skip
    added = client.post("/api/v4/contacts", json=body, headers=headers)
    assert added.status_code == 200, added.text
    cid = added.json()["_embedded"]["contacts"][0]["id"]
    factory.link("company_contacts", a, company_id=company, contact_id=cid)
    factory.link("lead_contacts", a, lead_id=lead, contact_id=cid, is_main=True)
    tag = client.get("/api/v4/contacts/tags", headers=headers).json()["_embedded"]["tags"][0]["id"]
    (first,) = deliveries(factory, a)
    admin, acc = a.admin, a.id
    head = (f"account%5Bsubdomain%5D={a.subdomain}&account%5Bid%5D={acc}"
            f"&account%5B_links%5D%5Bself%5D=https%3A%2F%2F{a.subdomain}.kommo.test")  # fmt: skip
    p = "contacts%5Badd%5D%5B0%5D"
    assert first["body"] == (
        f"{head}&{p}%5Bid%5D={cid}&{p}%5Bname%5D=Ann+Lee&{p}%5Bresponsible_user_id%5D={admin}"
        f"&{p}%5Bdate_create%5D=1700000000&{p}%5Blast_modified%5D=1700000000"
        f"&{p}%5Bcreated_user_id%5D={admin}&{p}%5Bmodified_user_id%5D={admin}"
        f"&{p}%5Baccount_id%5D={acc}&{p}%5Btags%5D%5B0%5D%5Bid%5D={tag}"
        f"&{p}%5Btags%5D%5B0%5D%5Bname%5D=vip&{p}%5Bcustom_fields%5D%5B0%5D%5Bid%5D={phone}"
        f"&{p}%5Bcustom_fields%5D%5B0%5D%5Bname%5D=Phone"
        f"&{p}%5Bcustom_fields%5D%5B0%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=%2B7+999"
        f"&{p}%5Bcustom_fields%5D%5B0%5D%5Bvalues%5D%5B0%5D%5Benum%5D={work}"
        f"&{p}%5Bcustom_fields%5D%5B0%5D%5Bcode%5D=PHONE"
        f"&{p}%5Bcreated_at%5D=1700000000&{p}%5Bupdated_at%5D=1700000000&{p}%5Btype%5D=contact"
    )
    # an edit without a new responsible user: nobody subscribed to update_contact
    assert (
        client.patch(f"/api/v4/contacts/{cid}", json={"name": "Ann"}, headers=headers).status_code
        == 200
    )
    assert len(deliveries(factory, a)) == 1
    moved = client.patch(f"/api/v4/contacts/{cid}", json={"responsible_user_id": other,
                         "updated_at": 1_700_000_100}, headers=headers)  # fmt: skip
    assert moved.status_code == 200
    second = deliveries(factory, a)[1]
    assert second["actions"] == "responsible"
    r = "contacts%5Bresponsible%5D%5B0%5D"
    assert second["body"].startswith(
        f"{head}&{r}%5Bid%5D={cid}&{r}%5Bname%5D=Ann&{r}%5Bresponsible_user_id%5D={other}"
        f"&{r}%5Bold_responsible_user_id%5D={admin}&{r}%5Bdate_create%5D=1700000000"
        f"&{r}%5Blast_modified%5D=1700000100&{r}%5Bcreated_user_id%5D={admin}"
        f"&{r}%5Bmodified_user_id%5D={admin}&{r}%5Bcompany_name%5D=Acme+%26+Co"
        f"&{r}%5Blinked_company_id%5D={company}&{r}%5Baccount_id%5D={acc}"
    )
    assert second["body"].endswith(
        f"&{r}%5Blinked_leads_id%5D%5B{lead}%5D%5BID%5D={lead}"
        f"&{r}%5Bcreated_at%5D=1700000000&{r}%5Bupdated_at%5D=1700000100&{r}%5Btype%5D=contact"
    )
    renamed = client.patch("/api/v4/companies", json=[{"id": company, "name": "Acme"}],
                           headers=headers)  # fmt: skip
    assert renamed.status_code == 200
    third = deliveries(factory, a)[2]
    assert "contacts%5Bupdate%5D%5B0%5D%5Btype%5D=company" in third["body"]
    assert "companies%5B" not in third["body"]
    refused = client.patch("/api/v4/companies", json=[{"id": company}, {"id": 1}], headers=headers)
    assert refused.status_code == 400
    assert len(deliveries(factory, a)) == 3
