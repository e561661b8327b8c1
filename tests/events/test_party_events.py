"""GET /api/v4/events for contacts and companies (neighbours spec §10): their events listed
beside the leads', ``filter[entity]``/``filter[entity_id]``, ``with=contact_name`` and
``company_name``, links to /contacts and /companies, the contacts and companies view rights;
and the events their API writes record, read back through the API. Both backends."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.events.record import NewEvent
from tests.conftest import Backend
from tests.events.helpers import ORIGIN, auth, event_ids, seed
from tests.factories import NOW, Account, Factory

PATHS = {"lead": "leads", "contact": "contacts", "company": "companies", "task": "tasks"}


def body_of(
    account_id: int,
    event_id: str,
    e: NewEvent,
    created_at: int,
    name: str | None = None,
) -> dict[str, Any]:
    """An event as Kommo shows it, in its key order, linking to its entity's collection."""
    entity: dict[str, Any] = {"id": e.entity_id}
    if name is not None:
        entity["name"] = name
    path = PATHS[e.entity_type]
    entity["_links"] = {"self": {"href": f"{ORIGIN}/api/v4/{path}/{e.entity_id}"}}
    return {
        "id": event_id,
        "type": e.type,
        "entity_id": e.entity_id,
        "entity_type": e.entity_type,
        "created_by": e.created_by,
        "created_at": created_at,
        "value_after": e.value_after,
        "value_before": e.value_before,
        "account_id": account_id,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/events/{event_id}"}},
        "_embedded": {"entity": entity},
    }


class World:
    """An account with a lead, a contact and a company, and events of each, a second apart."""

    def __init__(self, factory: Factory, backend: Backend) -> None:
        self.account: Account = factory.account()
        a = self.account.admin
        self.lead = factory.lead(self.account, name="Deal")
        self.contact = factory.party(self.account, "contacts", a)
        self.company = factory.party(self.account, "companies", a)
        self.specs: list[tuple[str, NewEvent]] = [
            ("lead_added", NewEvent("lead_added", self.lead, a)),
            ("contact_added", NewEvent("contact_added", self.contact, a, entity_type="contact")),
            ("company_added", NewEvent("company_added", self.company, a, entity_type="company")),
            ("contact_tag", NewEvent("entity_tag_added", self.contact, a,
                                     [{"tag": {"name": "vip"}}], entity_type="contact")),
            ("company_name", NewEvent("name_field_changed", self.company, a,
                                      [{"name_field_value": {"name": "New"}}],
                                      [{"name_field_value": {"name": "Old"}}],
                                      entity_type="company")),
            ("contact_note", NewEvent("common_note_added", self.contact, a,
                                      [{"note": {"id": 77}}], entity_type="contact")),
        ]  # fmt: skip
        stamps = [NOW - 1000 + i for i in range(len(self.specs))]
        pairs = [(e, t) for (_, e), t in zip(self.specs, stamps, strict=True)]
        ids = seed(backend, self.account.id, *pairs)
        self.events = {
            label: (event_id, e, t)
            for (label, e), event_id, t in zip(self.specs, ids, stamps, strict=True)
        }
        self.token = factory.token(self.account, a)

    def id(self, label: str) -> str:
        return self.events[label][0]

    def body(self, label: str, name: str | None = None) -> dict[str, Any]:
        event_id, e, t = self.events[label]
        return body_of(self.account.id, event_id, e, t, name)

    def newest_first(self, *labels: str) -> list[str]:
        chosen = labels or tuple(self.events)
        return [self.id(k) for k in sorted(chosen, key=lambda k: -self.events[k][2])]


def _get(client: TestClient, token: str, query: str) -> Any:
    response = client.get(f"/api/v4/events?{query}", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


class TestList:
    def test_every_entity_listed_whole_newest_first(self, client, factory, backend):
        w = World(factory, backend)
        assert _get(client, w.token, "") == {
            "_page": 1,
            "_links": {"self": {"href": f"{ORIGIN}/api/v4/events?page=1&limit=50"}},
            "_embedded": {"events": [w.body(k) for k in reversed(list(w.events))]},
        }

    @pytest.mark.parametrize(
        ("entity", "labels"),
        [("contact", ["contact_added", "contact_tag", "contact_note"]),
         ("company", ["company_added", "company_name"]),
         ("contact,company", ["contact_added", "company_added", "contact_tag", "company_name",
                              "contact_note"]),
         ("lead,company", ["lead_added", "company_added", "company_name"])],
    )  # fmt: skip
    def test_filter_entity(self, client, factory, backend, entity, labels):
        w = World(factory, backend)
        assert event_ids(client, w.token, f"filter[entity]={entity}") == w.newest_first(*labels)

    def test_filter_entity_id(self, client, factory, backend):
        w = World(factory, backend)
        body = _get(client, w.token, f"filter[entity]=company&filter[entity_id]={w.company}")
        assert body["_embedded"]["events"] == [w.body("company_name"), w.body("company_added")]
        # the entity type scopes the id (a contact and a company may share a number)
        q = f"filter[entity]=contact&filter[entity_id]={w.contact},{w.company},{w.lead}"
        assert event_ids(client, w.token, q) == w.newest_first(
            "contact_added", "contact_tag", "contact_note"
        )
        q = f"filter[entity]=company&filter[entity_id]={w.company + 10**6}"
        assert client.get(f"/api/v4/events?{q}", headers=auth(w.token)).status_code == 204

    def test_entity_id_needs_one_entity(self, client, factory, backend):
        w = World(factory, backend)
        response = client.get(
            f"/api/v4/events?filter[entity]=contact,company&filter[entity_id]={w.contact}",
            headers=auth(w.token),
        )
        assert response.status_code == 400
        assert response.json() == {
            "title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400,
            "detail": "filter[entity_id] requires exactly one filter[entity]",
        }  # fmt: skip

    def test_with_names(self, client, factory, backend):
        w = World(factory, backend)
        contact_name, company_name = f"contacts {w.contact}", f"companies {w.company}"
        body = _get(client, w.token, "with=contact_name,company_name")
        names = {"contact_added": contact_name, "contact_tag": contact_name,
                 "contact_note": contact_name, "company_added": company_name,
                 "company_name": company_name}  # fmt: skip
        assert body["_embedded"]["events"] == [
            w.body(k, names.get(k)) for k in reversed(list(w.events))
        ]
        # each with names its own entity type only
        body = _get(client, w.token, "with=lead_name,company_name&filter[entity]=contact,lead")
        assert body["_embedded"]["events"] == [
            w.body("contact_note"), w.body("contact_tag"), w.body("contact_added"),
            w.body("lead_added", "Deal"),
        ]  # fmt: skip
        assert list(w.body("contact_tag", "x")["_embedded"]["entity"]) == ["id", "name", "_links"]

    def test_get_one(self, client, factory, backend):
        w = World(factory, backend)
        response = client.get(
            f"/api/v4/events/{w.id('company_name')}?with=company_name", headers=auth(w.token)
        )
        assert response.status_code == 200
        assert response.json() == w.body("company_name", f"companies {w.company}")
        response = client.get(f"/api/v4/events/{w.id('contact_tag')}", headers=auth(w.token))
        assert response.json() == w.body("contact_tag")

    def test_other_accounts_party_events_unseen(self, client, factory, backend):
        w = World(factory, backend)
        stranger = factory.account()
        token = factory.token(stranger, stranger.admin)
        assert client.get("/api/v4/events", headers=auth(token)).status_code == 204
        response = client.get(f"/api/v4/events/{w.id('contact_added')}", headers=auth(token))
        assert response.status_code == 204


def _set_rights(factory: Factory, account: Account, user: int, **codes: str) -> None:
    """Give ``user`` the view (and edit) code per entity: leads, contacts, companies."""
    rights = {
        kind: {"view": code, "edit": code, "add": "A", "delete": "D", "export": "D"}
        for kind, code in codes.items()
    }
    rights |= {"tasks": {"edit": "A", "delete": "A"}, "mail_access": False,
               "catalog_access": False, "status_rights": None}  # fmt: skip
    factory.execute("UPDATE users SET rights = :r WHERE account_id = :a AND id = :u",
                    r=json.dumps(rights), a=account.id, u=user)  # fmt: skip


class TestRights:
    def test_view_codes_per_entity(self, client, factory, backend):
        account = factory.account()
        manager = factory.user(account, group="one")
        peer = factory.user(account, group="one")
        outsider = factory.user(account, group="two")
        a = account.admin
        mine = factory.party(account, "contacts", manager)
        peers = factory.party(account, "contacts", peer)
        theirs = factory.party(account, "contacts", outsider)
        company = factory.party(account, "companies", outsider)
        ids = seed(backend, account.id, *(
            (NewEvent("contact_added", c, a, entity_type="contact"), NOW - 10 + i)
            for i, c in enumerate([mine, peers, theirs])
        ), (NewEvent("company_added", company, a, entity_type="company"), NOW))  # fmt: skip
        token = factory.token(account, manager)
        cases = [
            ({"leads": "A", "contacts": "M", "companies": "A"}, [ids[3], ids[0]]),
            ({"leads": "A", "contacts": "G", "companies": "D"}, [ids[1], ids[0]]),
            ({"leads": "A", "contacts": "A", "companies": "M"}, [ids[2], ids[1], ids[0]]),
            ({"leads": "D", "contacts": "D", "companies": "G"}, []),
            ({"leads": "D", "contacts": "D", "companies": "A"}, [ids[3]]),
        ]
        for codes, expected in cases:
            _set_rights(factory, account, manager, **codes)
            assert event_ids(client, token, "") == expected, codes
        # a single event of a contact the user may not view is 204
        _set_rights(factory, account, manager, leads="A", contacts="M", companies="D")
        assert client.get(f"/api/v4/events/{ids[2]}", headers=auth(token)).status_code == 204
        assert client.get(f"/api/v4/events/{ids[0]}", headers=auth(token)).status_code == 200
        assert client.get(f"/api/v4/events/{ids[3]}", headers=auth(token)).status_code == 204
        # an admin sees them all
        assert event_ids(client, factory.token(account, a), "") == ids[::-1]

    def test_group_is_the_responsible_users_now(self, client, factory, backend):
        """As the contacts list judges G: by the responsible user's group today."""
        account = factory.account()
        viewer = factory.user(account, view="G", group="one")
        owner = factory.user(account, group="one")
        contact = factory.party(account, "contacts", owner)
        (event_id,) = seed(backend, account.id,
                           (NewEvent("contact_added", contact, owner, entity_type="contact"),
                            NOW))  # fmt: skip
        token = factory.token(account, viewer)
        assert event_ids(client, token, "") == [event_id]
        factory.execute("UPDATE users SET group_id = :g WHERE account_id = :a AND id = :u",
                        g=account.groups["two"], a=account.id, u=owner)  # fmt: skip
        assert client.get("/api/v4/events", headers=auth(token)).status_code == 204


def _stored(factory: Factory, account_id: int) -> list[tuple[str, str, int]]:
    """Every event of the account as (id, type, created_at), in id order."""
    with factory.engine.begin() as conn:
        rows = conn.execute(
            sa.text("SELECT id, type, created_at FROM events WHERE account_id = :a ORDER BY id"),
            {"a": account_id},
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def _system_notes(factory: Factory, account_id: int) -> list[int]:
    """The note ids the account's ``*_added`` events point at, in id order."""
    with factory.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT value_after FROM events WHERE account_id = :a "
                "AND type IN ('contact_added', 'company_added') ORDER BY id"
            ),
            {"a": account_id},
        ).all()
    return [json.loads(r[0])[0]["note"]["id"] for r in rows]


def test_contact_and_company_writes_read_back(client, factory, backend):
    """End to end: add a contact with a tag, edit its name, responsible, tags and custom
    fields (select and text), add a note on it; edit a company's field. Every event appears,
    whole, through GET /api/v4/events."""
    account = factory.account()
    other = factory.user(account)
    a = account.admin
    token = factory.token(account, a)
    colour, (red, blue) = factory.field(account, "select", "Colour", None,
                                        [("Red", None), ("Blue", None)],
                                        entity_type="contacts")  # fmt: skip
    note_field, _ = factory.field(account, "text", "Notes", entity_type="contacts")
    size, _ = factory.field(account, "numeric", "Size", entity_type="companies")

    def call(method: str, url: str, body: Any) -> Any:
        response = client.request(method, url, headers=auth(token), json=body)
        assert response.status_code == 200, response.text
        return response.json()

    added = call("POST", "/api/v4/contacts", [{
        "name": "Ada", "tags_to_add": [{"name": "t1"}],
        "custom_fields_values": [{"field_id": colour, "values": [{"enum_id": blue}]}],
    }])  # fmt: skip
    contact = added["_embedded"]["contacts"][0]["id"]
    company = call("POST", "/api/v4/companies", [{"name": "Co"}])["_embedded"]["companies"][0]["id"]
    call("PATCH", f"/api/v4/contacts/{contact}", {
        "name": "Ada L", "responsible_user_id": other, "_embedded": {"tags": [{"name": "t2"}]},
        "custom_fields_values": [
            {"field_id": colour, "values": [{"enum_id": red}]},
            {"field_id": note_field, "values": [{"value": "hello"}]},
        ],
    })  # fmt: skip
    # the same values again change nothing: no field event
    same = [{"field_id": colour, "values": [{"enum_id": red}]}]
    call("PATCH", f"/api/v4/contacts/{contact}", {"custom_fields_values": same})
    call("PATCH", f"/api/v4/companies/{company}",
         {"custom_fields_values": [{"field_id": size, "values": [{"value": 42}]}]})  # fmt: skip
    call("PATCH", f"/api/v4/contacts/{contact}",
         {"custom_fields_values": [{"field_id": note_field, "values": None}]})  # fmt: skip
    notes = call("POST", f"/api/v4/contacts/{contact}/notes",
                 [{"note_type": "common", "params": {"text": "hi"}}])  # fmt: skip
    note = notes["_embedded"]["notes"][0]["id"]

    def cf(field: int, code: int, enum: int | None, text: str) -> dict[str, Any]:
        return {"custom_field_value": {"field_id": field, "field_type": code, "enum_id": enum,
                                       "text": text}}  # fmt: skip

    contact_note, company_note = _system_notes(factory, account.id)
    expected = [
        NewEvent("contact_added", contact, a, [{"note": {"id": contact_note}}],
                 entity_type="contact"),
        NewEvent("entity_tag_added", contact, a, [{"tag": {"name": "t1"}}],
                 entity_type="contact"),
        NewEvent("company_added", company, a, [{"note": {"id": company_note}}],
                 entity_type="company"),
        NewEvent("name_field_changed", contact, a, [{"name_field_value": {"name": "Ada L"}}],
                 [{"name_field_value": {"name": "Ada"}}], entity_type="contact"),
        NewEvent("entity_responsible_changed", contact, a, [{"responsible_user": {"id": other}}],
                 [{"responsible_user": {"id": a}}], entity_type="contact"),
        NewEvent("entity_tag_added", contact, a, [{"tag": {"name": "t2"}}],
                 entity_type="contact"),
        NewEvent("entity_tag_deleted", contact, a, [], [{"tag": {"name": "t1"}}],
                 entity_type="contact"),
        NewEvent("custom_field_value_changed", contact, a, [cf(colour, 4, red, "Red")],
                 [cf(colour, 4, blue, "Blue")], entity_type="contact"),
        NewEvent("custom_field_value_changed", contact, a, [cf(note_field, 1, None, "hello")],
                 [], entity_type="contact"),
        NewEvent("custom_field_value_changed", company, a, [cf(size, 2, None, "42")], [],
                 entity_type="company"),
        NewEvent("custom_field_value_changed", contact, a, [],
                 [cf(note_field, 1, None, "hello")], entity_type="contact"),
        NewEvent("common_note_added", contact, a, [{"note": {"id": note}}],
                 entity_type="contact"),
    ]  # fmt: skip
    stored = _stored(factory, account.id)
    assert [t for _, t, _ in stored] == [e.type for e in expected]
    names = {contact: "Ada L", company: "Co"}
    bodies = [
        body_of(account.id, event_id, e, created_at, names[e.entity_id])
        for (event_id, _, created_at), e in zip(stored, expected, strict=True)
    ]
    query = "with=contact_name,company_name&limit=100"
    body = _get(client, token, query)
    # newest first: by created_at, then by id (the writes may share a second)
    newest = sorted(bodies, key=lambda b: (b["created_at"], b["id"]), reverse=True)
    assert body["_embedded"]["events"] == newest
    # custom_field_{ID}_value_changed finds a contact's field events, set and cleared
    q = f"filter[type]=custom_field_{note_field}_value_changed&filter[entity]=contact"
    assert event_ids(client, token, q) == [stored[10][0], stored[8][0]]
