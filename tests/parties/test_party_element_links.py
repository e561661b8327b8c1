"""Catalog elements linked from contacts and companies (neighbours §6): the path and batch forms
of link and unlink with the leads' metadata (quantity, catalog_id, price_id), the links lists,
``with=catalog_elements`` on reads and lists, the events, bumps and ``update_*`` hooks a change
leaves, rights, tenancy and refusals that write nothing; on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import Account, Factory
from tests.leads.writing import validation_body
from tests.parties.helpers import NOW, add_party, add_user
from tests.parties.test_party_link_writes import ORIGIN, _events, _stamp
from tests.parties.test_party_link_writes import Api as LinkApi
from tests.webhooks.helpers import add_webhook, deliveries

NSC = "The value you selected is not a valid choice."
MISSING = "This field is missing."
SINGULAR = {"contacts": "contact", "companies": "company"}


@pytest.fixture(params=["contacts", "companies"])
def kind(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


class Api(LinkApi):
    def get(self, url: str) -> Any:
        """The answer's body; None for a 204."""
        response = self.client.get(url, headers=self.headers)
        if response.status_code == 204:
            return None
        assert response.status_code == 200, response.text
        return response.json()


def _element(factory: Factory, a: Account, catalog_id: int, *, deleted: bool = False) -> int:
    element_id = factory.id("catalog_elements")
    factory.execute(
        "INSERT INTO catalog_elements (account_id, id, catalog_id, name, created_by, updated_by, "
        "created_at, updated_at, is_deleted) VALUES (:a, :i, :c, 'Gadget', 0, 0, 0, 0, :d)",
        a=a.id, i=element_id, c=catalog_id, d=deleted,
    )  # fmt: skip
    return element_id


def test_link_read_and_unlink(client: TestClient, factory: Factory, kind: str):
    a = factory.account()
    party = add_party(factory, a, kind, a.admin)
    catalog, widget = factory.catalog_element(a)
    gadget = _element(factory, a, catalog)
    api = Api(client, factory, a, a.admin)

    body = [
        {"to_entity_id": widget, "to_entity_type": "catalog_elements",
         "metadata": {"catalog_id": catalog, "quantity": 2.5, "price_id": 77}},
        {"to_entity_id": gadget, "to_entity_type": "catalog_elements",
         "metadata": {"catalog_id": catalog}, "request_id": "g"},
    ]  # fmt: skip
    response = api.post(f"/api/v4/{kind}/{party}/link", body)
    assert response.status_code == 200, response.text
    widget_meta = {"quantity": 2.5, "catalog_id": catalog, "price_id": 77}
    gadget_meta = {"quantity": 1, "catalog_id": catalog}
    assert response.json() == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/{kind}/{party}/link"}},
        "_embedded": {"links": [
            {"entity_id": party, "entity_type": kind, "to_entity_id": widget,
             "to_entity_type": "catalog_elements", "metadata": widget_meta},
            {"entity_id": party, "entity_type": kind, "to_entity_id": gadget,
             "to_entity_type": "catalog_elements", "metadata": gadget_meta},
        ]},
    }  # fmt: skip

    # the links lists, one party and the multi form
    assert api.get(f"/api/v4/{kind}/{party}/links") == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/{kind}/{party}/links"}},
        "_embedded": {"links": [
            {"to_entity_id": widget, "to_entity_type": "catalog_elements",
             "metadata": widget_meta},
            {"to_entity_id": gadget, "to_entity_type": "catalog_elements",
             "metadata": gadget_meta},
        ]},
    }  # fmt: skip
    query = f"filter[entity_id][]={party}&filter[to_catalog_id]={catalog}"
    multi = api.get(f"/api/v4/{kind}/links?{query}")
    assert multi["_embedded"]["links"] == [
        {"entity_id": party, "entity_type": kind, "to_entity_id": widget,
         "to_entity_type": "catalog_elements", "metadata": widget_meta},
        {"entity_id": party, "entity_type": kind, "to_entity_id": gadget,
         "to_entity_type": "catalog_elements", "metadata": gadget_meta},
    ]  # fmt: skip
    assert api.get(f"/api/v4/{kind}/links?filter[entity_id][]={party}&filter[to_catalog_id]=1") \
        is None  # fmt: skip

    # with=catalog_elements, by id and in the list, as a lead embeds them
    embedded = [{"id": widget, "metadata": widget_meta}, {"id": gadget, "metadata": gadget_meta}]
    one = api.get(f"/api/v4/{kind}/{party}?with=catalog_elements")
    assert one["_embedded"]["catalog_elements"] == embedded
    listed = api.get(f"/api/v4/{kind}?filter[id][]={party}&with=catalog_elements")
    assert listed["_embedded"][kind][0]["_embedded"]["catalog_elements"] == embedded
    assert "catalog_elements" not in api.get(f"/api/v4/{kind}/{party}")["_embedded"]

    # an upsert in the batch form: the quantity changes, a null price_id clears it
    again = [{"entity_id": party, "to_entity_id": widget, "to_entity_type": "catalog_elements",
              "metadata": {"catalog_id": catalog, "quantity": 3, "price_id": None}}]  # fmt: skip
    response = api.post(f"/api/v4/{kind}/link", again)
    assert response.status_code == 200, response.text
    assert response.json()["_embedded"]["links"] == [
        {"entity_id": party, "entity_type": kind, "to_entity_id": widget,
         "to_entity_type": "catalog_elements", "metadata": {"quantity": 3, "catalog_id": catalog}}
    ]  # fmt: skip

    # unlink (an absent link is a no-op); a deleted element is left out of reads
    response = api.post(f"/api/v4/{kind}/unlink", again + again)
    assert (response.status_code, response.content) == (204, b"")
    factory.execute("UPDATE catalog_elements SET is_deleted = :d WHERE id = :i", d=True, i=gadget)
    assert api.get(f"/api/v4/{kind}/{party}/links") is None
    one = api.get(f"/api/v4/{kind}/{party}?with=catalog_elements")
    assert one["_embedded"]["catalog_elements"] == []


def test_changes_leave_events_bumps_and_hooks(client: TestClient, factory: Factory, kind: str):
    a = factory.account()
    add_webhook(factory, a, "http://127.0.0.1:9/c", (f"update_{SINGULAR[kind]}",))
    party = add_party(factory, a, kind, a.admin)
    catalog, widget = factory.catalog_element(a)
    acting = factory.user(a)
    robot = factory.user(a)
    api = Api(client, factory, a, acting)
    link = [{"to_entity_id": widget, "to_entity_type": "catalog_elements",
             "metadata": {"catalog_id": catalog}}]  # fmt: skip
    assert api.post(f"/api/v4/{kind}/{party}/link", link).status_code == 200
    updated_at, updated_by = _stamp(factory, kind, party)
    assert updated_at >= NOW and updated_by == acting
    # the same link again changes nothing: no event, no hook
    assert api.post(f"/api/v4/{kind}/{party}/link", link).status_code == 200
    by_robot = [{**link[0], "metadata": {"catalog_id": catalog, "updated_by": robot}}]
    assert api.post(f"/api/v4/{kind}/{party}/unlink", by_robot).status_code == 204
    assert _stamp(factory, kind, party)[1] == robot

    one = SINGULAR[kind]
    entity = {"type": "catalog_element", "id": widget}
    assert _events(factory, a) == [
        ("entity_linked", one, party, acting, [{"link": {"entity": entity}}], []),
        ("entity_unlinked", one, party, robot, [{"unlink": {"entity": entity}}], []),
    ]
    listed = api.get(f"/api/v4/events?filter[entity]={one}&filter[entity_id]={party}")
    assert [(e["type"], e["entity_type"], e["entity_id"], e["value_after"])
            for e in listed["_embedded"]["events"]] == [
        ("entity_unlinked", one, party, [{"unlink": {"entity": entity}}]),
        ("entity_linked", one, party, [{"link": {"entity": entity}}]),
    ]  # fmt: skip
    hooks = deliveries(factory, a)
    assert [h["actions"] for h in hooks] == ["update", "update"]
    assert all(f"%5Bid%5D={party}&" in h["body"] for h in hooks)


def test_bad_input_rights_and_tenancy_write_nothing(
    client: TestClient, factory: Factory, kind: str
):
    a = factory.account()
    party = add_party(factory, a, kind, a.admin)
    catalog, widget = factory.catalog_element(a)
    other_catalog, other_widget = factory.catalog_element(a)
    _, gone = factory.catalog_element(a, deleted=True)
    other = factory.account()
    foreign_catalog, foreign_widget = factory.catalog_element(other)
    foreign_party = add_party(factory, other, kind, other.admin)
    api = Api(client, factory, a, a.admin)

    def item(element: int, **metadata: Any) -> dict[str, Any]:
        return {"to_entity_id": element, "to_entity_type": "catalog_elements",
                "metadata": metadata}  # fmt: skip

    bad = [
        item(widget, catalog_id=catalog, quantity=1),
        {"to_entity_id": widget, "to_entity_type": "catalog_elements"},
        item(widget, catalog_id=other_catalog),
        item(gone, catalog_id=catalog),
        item(foreign_widget, catalog_id=foreign_catalog),
        item(widget, catalog_id=catalog, quantity=-1, price_id="x"),
        item(other_widget, catalog_id=other_catalog, updated_by=999_999_999),
    ]
    response = api.post(f"/api/v4/{kind}/{party}/link", bad)
    assert response.status_code == 400
    assert response.json() == validation_body(
        ("1", [("FieldMissing", "metadata.catalog_id", MISSING)]),
        ("2", [("NotSupportedChoice", "metadata.catalog_id", NSC)]),
        ("3", [("NotSupportedChoice", "to_entity_id", NSC)]),
        ("4", [("NotSupportedChoice", "to_entity_id", NSC)]),
        ("5", [("InvalidValue", "metadata.quantity",
                "This value should be greater than or equal to 0."),
               ("InvalidType", "metadata.price_id", "This value should be of type int.")]),
        ("6", [("NotSupportedChoice", "metadata.updated_by", NSC)]),
    )  # fmt: skip
    assert api.get(f"/api/v4/{kind}/{party}/links") is None
    assert _events(factory, a) == []
    assert _stamp(factory, kind, party) == (NOW - 50, a.admin)

    # another account's contact or company: unknown in the path and in the batch form
    good = [item(widget, catalog_id=catalog)]
    assert api.post(f"/api/v4/{kind}/{foreign_party}/link", good).status_code == 404
    response = api.post(f"/api/v4/{kind}/link", [{"entity_id": foreign_party, **good[0]}])
    assert response.json() == validation_body(("0", [("NotSupportedChoice", "entity_id", NSC)]))

    # edit rights on the contact or company
    user = add_user(factory, a, contacts="A", companies="A", edit="M")
    response = Api(client, factory, a, user).post(f"/api/v4/{kind}/{party}/link", good)
    assert response.status_code == 403
    assert api.get(f"/api/v4/{kind}/{party}/links") is None
    assert _events(factory, a) == []
