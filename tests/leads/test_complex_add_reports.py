"""What a complex add tells the world about the contacts and companies it creates: the events
the separate calls would record (POST /contacts, POST /companies, POST /leads, then the link
calls), read whole through GET /api/v4/events, and the ``contacts[add]`` webhooks (``type``
contact and company) arriving byte for byte at a real receiver. Both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.events.record import NewEvent
from tests.conftest import Backend
from tests.events.helpers import auth
from tests.events.test_party_events import body_of
from tests.factories import Account, Factory
from tests.webhooks.helpers import Receiver, add_webhook, deliveries, run_until_idle, settings

WHEN = 1_700_000_000


def _call(client: TestClient, token: str, method: str, url: str, body: Any = None) -> Any:
    response = client.request(method, url, json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def _stored(factory: Factory, account: Account) -> list[dict[str, Any]]:
    """The account's events in id order (the order they were recorded in)."""
    with factory.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, type, entity_type, entity_id, created_by, created_at, value_after, "
                "value_before FROM events WHERE account_id = :a ORDER BY id"
            ),
            {"a": account.id},
        ).mappings()
        return [
            {**r, "value_after": json.loads(r["value_after"]),
             "value_before": json.loads(r["value_before"])}
            for r in rows
        ]  # fmt: skip


def _note(event: dict[str, Any]) -> int:
    note: int = event["value_after"][0]["note"]["id"]
    return note


def test_events_listed_whole(client: TestClient, factory: Factory) -> None:
    """A new contact and company (with tags) on one lead; an existing contact and a new company
    on another: the adds' events, the leads', the links to what was created, and both
    contact-company links, in the order of the separate calls, each listed whole."""
    account = factory.account()
    a = account.admin
    token = factory.token(account, a)
    known = factory.party(account, "contacts", a)
    answer = _call(client, token, "POST", "/api/v4/leads/complex", [
        {"name": "One", "_embedded": {
            "contacts": [{"first_name": "Ann", "_embedded": {"tags": [{"name": "vip"}]}}],
            "companies": [{"name": "Acme", "tags_to_add": [{"name": "big"}]}]}},
        {"name": "Two", "_embedded": {"contacts": [{"id": known}],
                                      "companies": [{"name": "Beta"}]}},
    ])  # fmt: skip
    (one, ann, acme), (two, _, beta) = (
        (item["id"], item["contact_id"], item["company_id"]) for item in answer
    )
    stored = _stored(factory, account)
    notes = [_note(e) for e in stored if e["type"].endswith("_added") and "note" in
             str(e["value_after"])]  # fmt: skip
    assert notes == sorted(notes) and len(notes) == 5  # contact, 2 companies, 2 leads

    def link(etype: str, entity_id: int, other: str, other_id: int) -> NewEvent:
        return NewEvent(f"{other}_linked" if etype != "lead" else "entity_linked", entity_id, a,
                        [{"link": {"entity": {"type": other, "id": other_id}}}],
                        entity_type=etype)  # fmt: skip

    def party_end(etype: str, entity_id: int, lead: int) -> NewEvent:
        value = [{"link": {"entity": {"type": "lead", "id": lead}}}]
        return NewEvent("lead_linked", entity_id, a, value, entity_type=etype)

    expected = [
        NewEvent("contact_added", ann, a, [{"note": {"id": notes[0]}}], entity_type="contact"),
        NewEvent("entity_tag_added", ann, a, [{"tag": {"name": "vip"}}], entity_type="contact"),
        NewEvent("company_added", acme, a, [{"note": {"id": notes[1]}}], entity_type="company"),
        NewEvent("company_added", beta, a, [{"note": {"id": notes[2]}}], entity_type="company"),
        NewEvent("entity_tag_added", acme, a, [{"tag": {"name": "big"}}], entity_type="company"),
        NewEvent("lead_added", one, a, [{"note": {"id": notes[3]}}]),
        NewEvent("lead_added", two, a, [{"note": {"id": notes[4]}}]),
        link("lead", one, "company", acme),
        link("lead", one, "contact", ann),
        party_end("company", acme, one),
        party_end("contact", ann, one),
        link("lead", two, "company", beta),
        party_end("company", beta, two),
        # the contact-company links, by contact id: the existing contact first
        link("contact", known, "company", beta),
        link("company", beta, "contact", known),
        link("contact", ann, "company", acme),
        link("company", acme, "contact", ann),
    ]
    assert [(e["type"], e["entity_type"], e["entity_id"], e["created_by"], e["value_after"],
             e["value_before"]) for e in stored] == [
        (e.type, e.entity_type, e.entity_id, e.created_by, e.value_after, e.value_before)
        for e in expected
    ]  # fmt: skip
    # ids are per entity type: a lead and a company may share one
    names = {("lead", one): "One", ("lead", two): "Two", ("contact", ann): "Ann",
             ("company", acme): "Acme", ("company", beta): "Beta",
             ("contact", known): f"contacts {known}"}  # fmt: skip
    bodies = [
        body_of(account.id, s["id"], e, s["created_at"], names[e.entity_type, e.entity_id])
        for s, e in zip(stored, expected, strict=True)
    ]
    listed = client.get(
        "/api/v4/events?limit=100&with=lead_name,contact_name,company_name", headers=auth(token)
    )
    assert listed.status_code == 200, listed.text
    newest = sorted(bodies, key=lambda b: (b["created_at"], b["id"]), reverse=True)
    assert listed.json()["_embedded"]["events"] == newest
    # the system notes are never served
    for note, path in zip(notes, ("contacts", "companies", "companies", "leads", "leads"),
                          strict=True):  # fmt: skip
        assert client.get(f"/api/v4/{path}/notes/{note}", headers=auth(token)).status_code == 204


def test_the_same_events_as_the_separate_calls(client: TestClient, factory: Factory) -> None:
    """One account does POST /contacts, POST /companies, POST /leads, POST /leads/{id}/link and
    POST /contacts/{id}/link; another does one complex add: the same events, ids aside."""
    separate, together = factory.account(), factory.account()
    s_token = factory.token(separate, separate.admin)
    contact = {"first_name": "Ann", "tags_to_add": [{"name": "vip"}]}
    company = {"name": "Acme", "_embedded": {"tags": [{"name": "big"}]}}
    c = _call(client, s_token, "POST", "/api/v4/contacts", [contact])
    co = _call(client, s_token, "POST", "/api/v4/companies", [company])
    lead = _call(client, s_token, "POST", "/api/v4/leads", [{"name": "Deal"}])
    cid = c["_embedded"]["contacts"][0]["id"]
    coid = co["_embedded"]["companies"][0]["id"]
    lid = lead["_embedded"]["leads"][0]["id"]
    _call(client, s_token, "POST", f"/api/v4/leads/{lid}/link", [
        {"to_entity_id": cid, "to_entity_type": "contacts"},
        {"to_entity_id": coid, "to_entity_type": "companies"}])  # fmt: skip
    _call(client, s_token, "POST", f"/api/v4/contacts/{cid}/link",
          [{"to_entity_id": coid, "to_entity_type": "companies"}])  # fmt: skip
    t_token = factory.token(together, together.admin)
    complex_item = {"name": "Deal", "_embedded": {"contacts": [contact], "companies": [company]}}
    (item,) = _call(client, t_token, "POST", "/api/v4/leads/complex", [complex_item])

    def shape(account: Account, ids: dict[str, int]) -> list[tuple[Any, ...]]:
        """Each event with the ids put as the role they play (ids are per entity type)."""
        out = []
        for e in _stored(factory, account):
            after = e["value_after"]
            if after and "note" in after[0]:
                after = "system note"
            elif after and "link" in after[0]:
                other = after[0]["link"]["entity"]
                after = (other["type"], other["id"] == ids[other["type"]])
            own = e["entity_id"] == ids[e["entity_type"]]
            out.append((e["type"], e["entity_type"], own, after, e["value_before"]))
        return out

    expected = shape(separate, {"lead": lid, "contact": cid, "company": coid})
    assert len(expected) == 11  # 2 adds with a tag each, the lead's, 4 + 2 link events
    assert shape(together, {"lead": item["id"], "contact": item["contact_id"],
                            "company": item["company_id"]}) == expected  # fmt: skip


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _form(pairs: list[tuple[str, str]]) -> bytes:
    """PHP's http_build_query of these pairs (none holds a ``~``)."""
    return urlencode(pairs, quote_via=quote_plus).encode()


def test_webhooks_arrive_byte_for_byte(
    backend: Backend, client: TestClient, factory: Factory, receiver: Receiver
) -> None:
    """``add_lead``, ``add_contact`` and ``add_company``: three requests, the contact's and the
    company's under ``contacts[add]`` with their ``type``, naming the lead and each other; an
    existing contact linked to a new company gets ``update_contact``."""
    account = factory.account()
    a, acc, sub = account.admin, account.id, account.subdomain
    phone, (work,) = factory.field(account, "multitext", "Phone", "PHONE", [("WORK", None)], 2,
                                   "contacts")  # fmt: skip
    events = ("add_lead", "add_contact", "add_company", "update_contact", "update_company")
    add_webhook(factory, account, receiver.url, events)
    token = factory.token(account, a)
    stamps = {"created_at": WHEN, "updated_at": WHEN}
    (item,) = _call(client, token, "POST", "/api/v4/leads/complex", [
        {"name": "Deal", **stamps, "_embedded": {
            "contacts": [{"name": "Ann & Co", **stamps, "tags_to_add": [{"name": "vip"}],
                          "custom_fields_values": [{"field_code": "PHONE",
                                                    "values": [{"value": "+7 999"}]}]}],
            "companies": [{"name": "Acme", **stamps}]}},
    ])  # fmt: skip
    lead, cid, coid = item["id"], item["contact_id"], item["company_id"]
    (tag,) = _call(client, token, "GET", "/api/v4/contacts/tags")["_embedded"]["tags"]
    stored = deliveries(factory, account)
    assert [d["actions"] for d in stored] == ["add", "add", "add"]
    run_until_idle(backend.url, settings())
    received = sorted(r.body for r in receiver.wait_for(3))
    head = [("account[subdomain]", sub), ("account[id]", str(acc)),
            ("account[_links][self]", f"https://{sub}.kommo.test")]  # fmt: skip
    pipeline, status = account.stages["first"]

    def party(kind: str, pid: int, name: str, rest: list[tuple[str, str]]) -> bytes:
        p = "contacts[add][0]"
        return _form([
            *head,
            (f"{p}[id]", str(pid)), (f"{p}[name]", name), (f"{p}[responsible_user_id]", str(a)),
            (f"{p}[date_create]", str(WHEN)), (f"{p}[last_modified]", str(WHEN)),
            (f"{p}[created_user_id]", str(a)), (f"{p}[modified_user_id]", str(a)),
            *[(f"{p}{k}", v) for k, v in rest],
            (f"{p}[linked_leads_id][{lead}][ID]", str(lead)),
            (f"{p}[created_at]", str(WHEN)), (f"{p}[updated_at]", str(WHEN)), (f"{p}[type]", kind),
        ])  # fmt: skip

    contact = party("contact", cid, "Ann & Co", [
        ("[company_name]", "Acme"), ("[linked_company_id]", str(coid)), ("[account_id]", str(acc)),
        ("[tags][0][id]", str(tag["id"])), ("[tags][0][name]", "vip"),
        ("[custom_fields][0][id]", str(phone)), ("[custom_fields][0][name]", "Phone"),
        ("[custom_fields][0][values][0][value]", "+7 999"),
        ("[custom_fields][0][values][0][enum]", str(work)), ("[custom_fields][0][code]", "PHONE"),
    ])  # fmt: skip
    company = party("company", coid, "Acme", [("[account_id]", str(acc))])
    p = "leads[add][0]"
    lead_body = _form([
        *head,
        (f"{p}[id]", str(lead)), (f"{p}[name]", "Deal"), (f"{p}[status_id]", str(status)),
        (f"{p}[pipeline_id]", str(pipeline)), (f"{p}[price]", "0"),
        (f"{p}[responsible_user_id]", str(a)), (f"{p}[last_modified]", str(WHEN)),
        (f"{p}[modified_user_id]", str(a)), (f"{p}[created_user_id]", str(a)),
        (f"{p}[date_create]", str(WHEN)), (f"{p}[account_id]", str(acc)),
        (f"{p}[created_at]", str(WHEN)), (f"{p}[updated_at]", str(WHEN)),
    ])  # fmt: skip
    assert received == sorted([lead_body, contact, company])
    # an existing contact given a new company: its update_contact, the new company's add
    known = factory.party(account, "contacts", a)
    _call(client, token, "POST", "/api/v4/leads/complex", [
        {"_embedded": {"contacts": [{"id": known}], "companies": [{"name": "Beta"}]}}])  # fmt: skip
    run_until_idle(backend.url, settings())
    later = [r.body for r in receiver.wait_for(6)[3:]]
    assert sorted(b.split(b"%5D%5B0%5D%5Bid%5D=")[0].rsplit(b"&", 1)[1] for b in later) == [
        b"contacts%5Badd", b"contacts%5Bupdate", b"leads%5Badd"]  # fmt: skip
    update = next(b for b in later if b"contacts%5Bupdate" in b)
    assert f"contacts%5Bupdate%5D%5B0%5D%5Bid%5D={known}&".encode() in update
    assert update.endswith(b"%5Btype%5D=contact")
