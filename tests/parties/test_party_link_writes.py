"""Link writes from contacts and companies beyond the path form: the batch forms
``POST /api/v4/{contacts|companies}/link`` and ``/unlink`` (``entity_id`` per item), and what a
contact-company link change leaves behind: ``company_linked``/``contact_linked`` (and
``_unlinked``) on both ends,
both ends bumped, ``update_contact``/``update_company`` deliveries; refusals change nothing."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.factories import Account, Factory
from tests.leads.writing import problem, validation_body
from tests.parties.helpers import NOW, add_party, add_user
from tests.webhooks.helpers import add_webhook, deliveries

ORIGIN = "http://testserver"
NSC = "The value you selected is not a valid choice."
MISSING = "This field is missing."


def _events(factory: Factory, a: Account) -> list[tuple[Any, ...]]:
    """(type, entity_type, entity_id, created_by, value_after, value_before), oldest first;
    read from the table (the events API lists lead and task events only)."""
    with factory.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT type, entity_type, entity_id, created_by, value_after, value_before "
                "FROM events WHERE account_id = :a ORDER BY id"
            ),
            {"a": a.id},
        ).all()
    return [(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5])) for r in rows]


def _stamp(factory: Factory, kind: str, party_id: int) -> tuple[int, int]:
    with factory.engine.begin() as conn:
        row = conn.execute(
            sa.text(f"SELECT updated_at, updated_by FROM {kind} WHERE id = :i"),  # noqa: S608 (a table name of the test's own)
            {"i": party_id},
        ).one()
    return int(row[0]), int(row[1])


class Api:
    def __init__(self, client: TestClient, factory: Factory, a: Account, user: int) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {factory.token(a, user)}"}

    def post(self, url: str, body: Any) -> Any:
        return self.client.post(url, json=body, headers=self.headers)

    def links(self, kind: str, pid: int) -> list[tuple[int, str]]:
        response = self.client.get(f"/api/v4/{kind}/{pid}/links", headers=self.headers)
        if response.status_code == 204:
            return []
        return [
            (x["to_entity_id"], x["to_entity_type"]) for x in response.json()["_embedded"]["links"]
        ]


def test_batch_link_and_unlink(client: TestClient, factory: Factory):
    a = factory.account()
    ann = add_party(factory, a, "contacts", a.admin)
    bob = add_party(factory, a, "contacts", a.admin)
    acme = add_party(factory, a, "companies", a.admin)
    lead = factory.lead(a)
    api = Api(client, factory, a, a.admin)

    body = [{"entity_id": ann, "to_entity_id": acme, "to_entity_type": "companies"},
            {"entity_id": bob, "to_entity_id": lead, "to_entity_type": "leads",
             "request_id": "r2"}]  # fmt: skip
    response = api.post("/api/v4/contacts/link", body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/link"}},
        "_embedded": {"links": [
            {"entity_id": ann, "entity_type": "contacts", "to_entity_id": acme,
             "to_entity_type": "companies", "metadata": None},
            {"entity_id": bob, "entity_type": "contacts", "to_entity_id": lead,
             "to_entity_type": "leads", "metadata": None}]},
    }  # fmt: skip
    assert api.links("contacts", ann) == [(acme, "companies")]
    assert api.links("contacts", bob) == [(lead, "leads")]
    assert api.links("companies", acme) == [(ann, "contacts")]

    from_company = [
        {"entity_id": acme, "to_entity_id": bob, "to_entity_type": "contacts"},
        {"entity_id": acme, "to_entity_id": lead, "to_entity_type": "leads"},
    ]
    response = api.post("/api/v4/companies/link", from_company)
    assert response.status_code == 200, response.text
    assert response.json()["_embedded"]["links"] == [
        {"entity_id": acme, "entity_type": "companies", "to_entity_id": bob,
         "to_entity_type": "contacts", "metadata": None},
        {"entity_id": acme, "entity_type": "companies", "to_entity_id": lead,
         "to_entity_type": "leads", "metadata": None},
    ]  # fmt: skip
    assert api.links("companies", acme) == [(ann, "contacts"), (bob, "contacts"), (lead, "leads")]

    response = api.post("/api/v4/companies/unlink", from_company)
    assert (response.status_code, response.content) == (204, b"")
    assert api.links("companies", acme) == [(ann, "contacts")]
    response = api.post("/api/v4/contacts/unlink", body[:1])
    assert (response.status_code, response.content) == (204, b"")
    assert api.links("contacts", ann) == []
    assert api.links("contacts", bob) == [(lead, "leads")]


def test_batch_bad_input_changes_nothing(client: TestClient, factory: Factory):
    a = factory.account()
    ann = add_party(factory, a, "contacts", a.admin)
    gone = add_party(factory, a, "contacts", a.admin, is_deleted=True)
    acme = add_party(factory, a, "companies", a.admin)
    other = factory.account()
    foreign = add_party(factory, other, "contacts", other.admin)
    api = Api(client, factory, a, a.admin)
    good = {"entity_id": ann, "to_entity_id": acme, "to_entity_type": "companies"}

    bad = [good,
           {"to_entity_id": acme, "to_entity_type": "companies"},
           {"entity_id": foreign, "to_entity_id": acme, "to_entity_type": "companies"},
           {"entity_id": gone, "to_entity_id": acme, "to_entity_type": "companies"},
           {"entity_id": "x", "to_entity_id": acme, "to_entity_type": "companies"},
           {"entity_id": ann, "to_entity_id": foreign, "to_entity_type": "contacts"},
           "nope"]  # fmt: skip
    response = api.post("/api/v4/contacts/link", bad)
    assert response.status_code == 400
    assert response.json() == validation_body(
        ("1", [("FieldMissing", "entity_id", MISSING)]),
        ("2", [("NotSupportedChoice", "entity_id", NSC)]),
        ("3", [("NotSupportedChoice", "entity_id", NSC)]),
        ("4", [("InvalidType", "entity_id", "This value should be of type int.")]),
        ("5", [("NotSupportedChoice", "to_entity_type", NSC)]),
        ("6", [("InvalidType", "", "This value should be of type object.")]),
    )  # fmt: skip
    assert api.links("contacts", ann) == []
    # an unknown other end, for both directions
    unknown = [{"entity_id": acme, "to_entity_id": foreign, "to_entity_type": "contacts"}]
    response = api.post("/api/v4/companies/link", unknown)
    assert response.json() == validation_body(("0", [("NotSupportedChoice", "to_entity_id", NSC)]))
    # oversized batch and a body that is not an array
    too_many = api.post("/api/v4/contacts/link", [good] * 251)
    assert too_many.json() == problem(422, "Unprocessable Entity", "Limit 250 per page")
    not_array = api.post("/api/v4/contacts/unlink", 5)
    assert not_array.json() == problem(
        400, "Bad Request", "Request data must be an array of objects"
    )
    assert api.links("contacts", ann) == []
    assert _events(factory, a) == []
    assert _stamp(factory, "contacts", ann) == (NOW - 50, a.admin)


def test_edit_rights_on_both_ends(client: TestClient, factory: Factory):
    a = factory.account()
    user = add_user(factory, a, contacts="A", companies="A", edit="M")
    mine = add_party(factory, a, "contacts", user)
    theirs = add_party(factory, a, "companies", a.admin)
    api = Api(client, factory, a, user)
    body = [{"entity_id": mine, "to_entity_id": theirs, "to_entity_type": "companies"}]
    response = api.post("/api/v4/contacts/link", body)
    assert response.status_code == 403
    assert api.post(f"/api/v4/contacts/{mine}/link", body).status_code == 403
    assert api.links("contacts", mine) == []
    assert _events(factory, a) == []


def test_contact_company_links_leave_events_and_bump_both_ends(client: TestClient,
                                                              factory: Factory):  # fmt: skip
    a = factory.account()
    ann = add_party(factory, a, "contacts", a.admin)
    first = add_party(factory, a, "companies", a.admin)
    second = add_party(factory, a, "companies", a.admin)
    untouched = add_party(factory, a, "companies", a.admin)
    acting = factory.user(a)
    api = Api(client, factory, a, acting)
    link = [{"to_entity_id": first, "to_entity_type": "companies"}]
    assert api.post(f"/api/v4/contacts/{ann}/link", link).status_code == 200
    # the same link again changes nothing and leaves nothing
    assert api.post(f"/api/v4/contacts/{ann}/link", link).status_code == 200
    # a second company replaces the first: unlinked from it, linked to the new one
    back = [{"entity_id": second, "to_entity_id": ann, "to_entity_type": "contacts"}]
    assert api.post("/api/v4/companies/link", back).status_code == 200
    # unlinking a company the contact is not linked to changes nothing
    stray = [{"to_entity_id": untouched, "to_entity_type": "companies"}]
    assert api.post(f"/api/v4/contacts/{ann}/unlink", stray).status_code == 204
    assert api.post("/api/v4/companies/unlink", back).status_code == 204

    def ev(kind: str, etype: str, eid: int, other: str, oid: int) -> tuple[Any, ...]:
        action = "link" if kind.endswith("_linked") else "unlink"
        return (kind, etype, eid, acting, [{action: {"entity": {"type": other, "id": oid}}}], [])

    assert _events(factory, a) == [
        ev("company_linked", "contact", ann, "company", first),
        ev("contact_linked", "company", first, "contact", ann),
        ev("company_unlinked", "contact", ann, "company", first),
        ev("contact_unlinked", "company", first, "contact", ann),
        ev("company_linked", "contact", ann, "company", second),
        ev("contact_linked", "company", second, "contact", ann),
        ev("company_unlinked", "contact", ann, "company", second),
        ev("contact_unlinked", "company", second, "contact", ann),
    ]
    for kind, pid in (("contacts", ann), ("companies", first), ("companies", second)):
        updated_at, updated_by = _stamp(factory, kind, pid)
        assert updated_at >= NOW and updated_by == acting, (kind, pid)
    assert _stamp(factory, "companies", untouched) == (NOW - 50, a.admin)
    # the events API serves them on the contact, newest first
    listed = client.get(
        f"/api/v4/events?filter[entity]=contact&filter[entity_id]={ann}",
        headers={"Authorization": f"Bearer {factory.token(a, a.admin)}"},
    )
    assert listed.status_code == 200, listed.text

    def listed_ev(kind: str, action: str, oid: int) -> tuple[Any, ...]:
        return (kind, "contact", ann, [{action: {"entity": {"type": "company", "id": oid}}}], [])

    assert [
        (e["type"], e["entity_type"], e["entity_id"], e["value_after"], e["value_before"])
        for e in listed.json()["_embedded"]["events"]
    ] == [
        listed_ev("company_unlinked", "unlink", second),
        listed_ev("company_linked", "link", second),
        listed_ev("company_unlinked", "unlink", first),
        listed_ev("company_linked", "link", first),
    ]


def test_contact_company_links_queue_update_hooks(client: TestClient, factory: Factory):
    a = factory.account()
    add_webhook(factory, a, "http://127.0.0.1:9/c", ("update_contact", "update_company"))
    ann = add_party(factory, a, "contacts", a.admin, name="Ann")
    acme = add_party(factory, a, "companies", a.admin, name="Acme")
    api = Api(client, factory, a, a.admin)
    body = [{"entity_id": ann, "to_entity_id": acme, "to_entity_type": "companies"}]
    assert api.post("/api/v4/contacts/link", body).status_code == 200
    contact_at, _ = _stamp(factory, "contacts", ann)
    company_at, _ = _stamp(factory, "companies", acme)
    contact_hook, company_hook = deliveries(factory, a)
    assert (contact_hook["actions"], company_hook["actions"]) == ("update", "update")
    head = (f"account%5Bsubdomain%5D={a.subdomain}&account%5Bid%5D={a.id}"
            f"&account%5B_links%5D%5Bself%5D=https%3A%2F%2F{a.subdomain}.kommo.test")  # fmt: skip
    p = "contacts%5Bupdate%5D%5B0%5D"
    admin, created = a.admin, NOW - 100

    def item(pid: int, name: str, at: int, extra: str, singular: str) -> str:
        return (
            f"{head}&{p}%5Bid%5D={pid}&{p}%5Bname%5D={name}&{p}%5Bresponsible_user_id%5D={admin}"
            f"&{p}%5Bdate_create%5D={created}&{p}%5Blast_modified%5D={at}"
            f"&{p}%5Bcreated_user_id%5D={admin}&{p}%5Bmodified_user_id%5D={admin}{extra}"
            f"&{p}%5Baccount_id%5D={a.id}&{p}%5Bcreated_at%5D={created}"
            f"&{p}%5Bupdated_at%5D={at}&{p}%5Btype%5D={singular}"
        )

    company_keys = f"&{p}%5Bcompany_name%5D=Acme&{p}%5Blinked_company_id%5D={acme}"
    assert contact_hook["body"] == item(ann, "Ann", contact_at, company_keys, "contact")
    assert company_hook["body"] == item(acme, "Acme", company_at, "", "company")
    # a refused batch and a link that changes nothing queue nothing
    assert api.post("/api/v4/contacts/link", [*body, {}]).status_code == 400
    assert api.post("/api/v4/contacts/link", body).status_code == 200
    assert len(deliveries(factory, a)) == 2


def test_lead_links_reach_the_contact_and_company_end(client: TestClient, factory: Factory):
    """A lead link written from either side leaves the lead's events (as before) and, on the
    contact or company, its own ``lead_linked``/``lead_unlinked`` naming the lead, a moved
    ``updated_at`` and an ``update_*`` hook; a link that changes nothing leaves nothing."""
    a = factory.account()
    add_webhook(factory, a, "http://127.0.0.1:9/c", ("update_contact", "update_company"))
    ann = add_party(factory, a, "contacts", a.admin)
    acme = add_party(factory, a, "companies", a.admin)
    lead = factory.lead(a)
    api = Api(client, factory, a, a.admin)
    to_contact = [{"to_entity_id": ann, "to_entity_type": "contacts"}]
    assert api.post(f"/api/v4/leads/{lead}/link", to_contact).status_code == 200
    assert api.post(f"/api/v4/leads/{lead}/link", to_contact).status_code == 200
    from_company = [{"entity_id": acme, "to_entity_id": lead, "to_entity_type": "leads"}]
    assert api.post("/api/v4/companies/link", from_company).status_code == 200
    to_lead = [{"to_entity_id": lead, "to_entity_type": "leads"}]
    assert api.post(f"/api/v4/contacts/{ann}/unlink", to_lead).status_code == 204
    admin = a.admin

    def ev(kind: str, etype: str, eid: int, other: str, oid: int) -> tuple[Any, ...]:
        action = "link" if kind.endswith("_linked") else "unlink"
        return (kind, etype, eid, admin, [{action: {"entity": {"type": other, "id": oid}}}], [])

    assert _events(factory, a) == [
        ev("entity_linked", "lead", lead, "contact", ann),
        ev("lead_linked", "contact", ann, "lead", lead),
        ev("entity_linked", "lead", lead, "company", acme),
        ev("lead_linked", "company", acme, "lead", lead),
        ev("entity_unlinked", "lead", lead, "contact", ann),
        ev("lead_unlinked", "contact", ann, "lead", lead),
    ]
    for kind, pid in (("contacts", ann), ("companies", acme)):
        updated_at, updated_by = _stamp(factory, kind, pid)
        assert updated_at >= NOW and updated_by == admin, (kind, pid)
    hooks = deliveries(factory, a)
    assert [h["actions"] for h in hooks] == ["update", "update", "update"]
    p = "contacts%5Bupdate%5D%5B0%5D"
    assert [
        (f"{p}%5Bid%5D={ann}&" in h["body"], f"{p}%5Bid%5D={acme}&" in h["body"]) for h in hooks
    ] == [(True, False), (False, True), (True, False)]
    assert f"{p}%5Blinked_leads_id%5D%5B{lead}%5D%5BID%5D={lead}" in hooks[0]["body"]
    assert "linked_leads_id" not in hooks[2]["body"]
