"""/api/v4/{leads|contacts|companies}/custom_fields/groups (LEADS §10.3, neighbours §4.4):
whole answers on both databases, every write read back, the predefined group of each entity
type, a field's ``group_id`` checked against the groups, admins only for writes, another
account's groups unknown, bad input refused with nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.custom_fields.helpers import add_field
from tests.custom_fields.test_field_writes import (
    ORIGIN,
    World,
    auth,
    invalid,
    not_a_choice,
    problem,
)
from tests.factories import Factory


@pytest.fixture(name="world")
def world_fixture(factory: Factory) -> World:
    account = factory.account()
    user = factory.user(account, view="A")
    return World(account, factory.token(account, account.admin), factory.token(account, user))


@pytest.fixture(params=["leads", "contacts", "companies"])
def entity(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


def url(entity: str) -> str:
    return f"/api/v4/{entity}/custom_fields/groups"


def group(
    entity: str,
    gid: str,
    name: str,
    sort: int,
    fields: list[int] | None = None,
    *,
    predefined: bool = False,
) -> dict[str, Any]:
    return {
        "id": gid, "name": name, "sort": sort, "entity_type": entity,
        "is_predefined": predefined, "type": "custom_field_group", "fields": fields or [],
        "_links": {"self": {"href": f"{ORIGIN}{url(entity)}/{gid}"}},
    }  # fmt: skip


def predefined(world: World, entity: str, fields: list[int] | None = None) -> dict[str, Any]:
    return group(entity, f"{entity}_{world.account.id}", "Statistics", 0, fields, predefined=True)


def page(entity: str, items: list[dict[str, Any]], query: str = "page=1&limit=50") -> Any:
    return {
        "_total_items": len(items), "_page": 1, "_page_count": 1,
        "_links": {"self": {"href": f"{ORIGIN}{url(entity)}?{query}"},
                   "last": {"href": f"{ORIGIN}{url(entity)}?{query}"}},
        "_embedded": {"custom_field_groups": items},
    }  # fmt: skip


def listing(client: TestClient, token: str, entity: str) -> Any:
    response = client.get(url(entity), headers=auth(token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    return response.json()


def field_group(client: TestClient, token: str, entity: str, fid: int) -> Any:
    response = client.get(f"/api/v4/{entity}/custom_fields/{fid}", headers=auth(token))
    assert response.status_code == 200
    return response.json()["group_id"]


def test_every_account_has_the_predefined_group(client: TestClient, world: World, entity: str):
    expected = predefined(world, entity)
    assert listing(client, world.user_token, entity) == page(entity, [expected])
    response = client.get(f"{url(entity)}/{expected['id']}", headers=auth(world.user_token))
    assert response.status_code == 200
    assert response.json() == expected


def test_add_edit_and_delete_read_back(
    client: TestClient, factory: Factory, world: World, entity: str
):
    account = world.account
    first, _ = add_field(factory, account, "text", entity_type=entity, sort=2)
    second, _ = add_field(factory, account, "text", entity_type=entity, sort=1)
    body = [
        {"name": "Delivery", "sort": 5, "fields": [first, second], "request_id": "d"},
        {"name": "Billing"},
    ]
    response = client.post(url(entity), json=body, headers=auth(world.token))
    assert response.status_code == 200, response.text
    answer = response.json()
    delivery_id, billing_id = (g["id"] for g in answer["_embedded"]["custom_field_groups"])
    prefix = f"{entity}_{account.id}"
    assert delivery_id.startswith(prefix) and billing_id.startswith(prefix)
    assert int(delivery_id[len(prefix) :]) < int(billing_id[len(prefix) :])
    delivery = group(entity, delivery_id, "Delivery", 5, [second, first])
    billing = group(entity, billing_id, "Billing", 6)
    assert answer == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}{url(entity)}"}},
        "_embedded": {"custom_field_groups": [
            {**{k: v for k, v in delivery.items() if k != "_links"}, "request_id": "d",
             "_links": delivery["_links"]},
            {**{k: v for k, v in billing.items() if k != "_links"}, "request_id": "1",
             "_links": billing["_links"]},
        ]},
    }  # fmt: skip
    assert listing(client, world.user_token, entity) == page(
        entity, [predefined(world, entity), delivery, billing]
    )
    assert field_group(client, world.user_token, entity, first) == delivery_id

    # PATCH: renamed, moved before Delivery, one field moved in from Delivery
    response = client.patch(
        f"{url(entity)}/{billing_id}",
        json={"name": "Invoices", "sort": 1, "fields": [first], "id": "ignored"},
        headers=auth(world.token),
    )
    assert response.status_code == 200, response.text
    invoices = group(entity, billing_id, "Invoices", 1, [first])
    assert response.json() == invoices
    delivery = group(entity, delivery_id, "Delivery", 5, [second])
    assert listing(client, world.user_token, entity) == page(
        entity, [predefined(world, entity), invoices, delivery]
    )

    # the predefined group takes fields, and keeps its name and sort
    pre_id = f"{entity}_{account.id}"
    response = client.patch(
        f"{url(entity)}/{pre_id}",
        json={"name": "Statistics", "fields": [second]},
        headers=auth(world.token),
    )
    assert response.status_code == 200, response.text
    assert response.json() == predefined(world, entity, [second])

    # DELETE: its fields stay, in no group
    response = client.delete(f"{url(entity)}/{billing_id}", headers=auth(world.token))
    assert response.status_code == 204 and response.content == b""
    assert field_group(client, world.user_token, entity, first) is None
    response = client.get(f"{url(entity)}/{billing_id}", headers=auth(world.token))
    assert response.status_code == 404
    assert response.json() == problem(404, "Not Found", "Custom field group not found")
    assert listing(client, world.user_token, entity) == page(
        entity, [predefined(world, entity, [second]), group(entity, delivery_id, "Delivery", 5)]
    )


def test_predefined_group_cannot_be_deleted_renamed_or_moved(
    client: TestClient, world: World, entity: str
):
    pre_id = f"{entity}_{world.account.id}"
    response = client.delete(f"{url(entity)}/{pre_id}", headers=auth(world.token))
    assert response.status_code == 400
    assert response.json() == problem(
        400, "Bad Request", "This custom field group can not be deleted"
    )
    fixed = "The predefined group can not be renamed or moved."
    response = client.patch(
        f"{url(entity)}/{pre_id}", json={"name": "Main", "sort": 3}, headers=auth(world.token)
    )
    assert response.status_code == 400
    assert response.json() == invalid(
        ("0", [("InvalidValue", "name", fixed), ("InvalidValue", "sort", fixed)])
    )
    assert listing(client, world.token, entity) == page(entity, [predefined(world, entity)])


def test_page_and_limit(client: TestClient, world: World):
    names = [{"name": f"G{i}", "sort": i} for i in range(1, 4)]
    response = client.post(url("leads"), json=names, headers=auth(world.token))
    assert response.status_code == 200
    ids = [g["id"] for g in response.json()["_embedded"]["custom_field_groups"]]
    response = client.get(f"{url('leads')}?limit=2&page=2", headers=auth(world.token))
    assert response.status_code == 200
    base = f"{ORIGIN}{url('leads')}"
    assert response.json() == {
        "_total_items": 4, "_page": 2, "_page_count": 2,
        "_links": {"self": {"href": f"{base}?limit=2&page=2"},
                   "first": {"href": f"{base}?limit=2&page=1"},
                   "prev": {"href": f"{base}?limit=2&page=1"},
                   "last": {"href": f"{base}?limit=2&page=2"}},
        "_embedded": {"custom_field_groups": [
            group("leads", ids[1], "G2", 2), group("leads", ids[2], "G3", 3)]},
    }  # fmt: skip
    response = client.get(f"{url('leads')}?limit=2&page=3", headers=auth(world.token))
    assert response.status_code == 204


def test_field_group_id_must_name_a_group_of_its_entity(
    client: TestClient, factory: Factory, world: World
):
    account = world.account
    response = client.post(url("contacts"), json=[{"name": "Tab"}], headers=auth(world.token))
    contact_group = response.json()["_embedded"]["custom_field_groups"][0]["id"]
    other = factory.account()
    fields_url = "/api/v4/leads/custom_fields"
    for group_id in (contact_group, f"contacts_{account.id}", f"leads_{other.id}", "leads_1"):
        body = [{"name": "X", "type": "text", "group_id": group_id}]
        response = client.post(fields_url, json=body, headers=auth(world.token))
        assert response.status_code == 400, group_id
        assert response.json() == invalid(("0", [not_a_choice("group_id")]))
    assert client.get(fields_url, headers=auth(world.token)).status_code == 204

    fid, _ = add_field(factory, account, "text")
    response = client.patch(
        f"{fields_url}/{fid}", json={"group_id": contact_group}, headers=auth(world.token)
    )
    assert response.status_code == 400
    assert response.json() == invalid(("0", [not_a_choice("group_id")]))
    assert field_group(client, world.token, "leads", fid) is None
    response = client.patch(
        f"{fields_url}/{fid}", json={"group_id": f"leads_{account.id}"}, headers=auth(world.token)
    )
    assert response.status_code == 200
    assert field_group(client, world.token, "leads", fid) == f"leads_{account.id}"
    # sending back the group the field has, then null, which takes it out
    for sent, kept in ((f"leads_{account.id}", f"leads_{account.id}"), (None, None)):
        response = client.patch(
            f"{fields_url}/{fid}", json={"group_id": sent}, headers=auth(world.token)
        )
        assert response.status_code == 200
        assert field_group(client, world.token, "leads", fid) == kept
    # a contact field may be put in the contacts' group
    cid, _ = add_field(factory, account, "text", entity_type="contacts")
    response = client.patch(
        f"/api/v4/contacts/custom_fields/{cid}",
        json={"group_id": contact_group},
        headers=auth(world.token),
    )
    assert response.status_code == 200
    assert field_group(client, world.token, "contacts", cid) == contact_group


def test_bad_input_writes_nothing(client: TestClient, factory: Factory, world: World):
    account = world.account
    lead_field, _ = add_field(factory, account, "text")
    contact_field, _ = add_field(factory, account, "text", entity_type="contacts")
    foreign_field, _ = add_field(factory, factory.account(), "text")
    body = [
        {"name": "Fine", "fields": [lead_field]},
        {"sort": "x", "fields": [contact_field, foreign_field, "7", 0]},
        {"name": "   ", "fields": {"a": 1}},
        {"name": None, "sort": 2**31},
        "nope",
    ]
    response = client.post(url("leads"), json=body, headers=auth(world.token))
    assert response.status_code == 400
    blank = "This value should not be blank."
    assert response.json() == invalid(
        ("1", [("FieldMissing", "name", "This field is missing."),
               ("InvalidType", "sort", "This value should be of type int."),
               ("InvalidType", "fields.2", "This value should be of type int."),
               not_a_choice("fields.3"), not_a_choice("fields.0"), not_a_choice("fields.1")]),
        ("2", [("InvalidValue", "name", blank),
               ("InvalidType", "fields", "This value should be of type array.")]),
        ("3", [("InvalidType", "name", "This value should be of type string."),
               ("InvalidValue", "sort", "This value should be between 0 and 2147483647.")]),
        ("4", [("InvalidType", "", "This value should be of type object.")]),
    )  # fmt: skip
    assert listing(client, world.token, "leads") == page("leads", [predefined(world, "leads")])
    assert field_group(client, world.token, "leads", lead_field) is None

    response = client.post(url("leads"), json=[{"name": "Tab"}], headers=auth(world.token))
    tab = response.json()["_embedded"]["custom_field_groups"][0]
    tab.pop("request_id")
    response = client.patch(
        f"{url('leads')}/{tab['id']}",
        json={"name": None, "sort": None, "fields": [lead_field, contact_field]},
        headers=auth(world.token),
    )
    assert response.status_code == 400
    assert response.json() == invalid(
        ("0", [("InvalidType", "name", "This value should be of type string."),
               ("InvalidType", "sort", "This value should be of type int."),
               not_a_choice("fields.1")]),
    )  # fmt: skip
    assert listing(client, world.token, "leads") == page("leads", [predefined(world, "leads"), tab])
    assert field_group(client, world.token, "leads", lead_field) is None
    for sent in (b"[]", b"{}", b'[{"name": "A"}]'):
        response = client.patch(
            f"{url('leads')}/{tab['id']}", content=sent, headers=auth(world.token)
        )
        assert response.status_code == 400


def test_writes_are_for_admins_only(client: TestClient, world: World, entity: str):
    response = client.post(url(entity), json=[{"name": "Tab"}], headers=auth(world.token))
    tab = response.json()["_embedded"]["custom_field_groups"][0]
    tab.pop("request_id")
    headers = auth(world.user_token)
    denied = problem(403, "Forbidden", "Access denied")
    calls = [
        client.post(url(entity), json=[{"name": "X"}], headers=headers),
        client.patch(f"{url(entity)}/{tab['id']}", json={"name": "X"}, headers=headers),
        client.delete(f"{url(entity)}/{tab['id']}", headers=headers),
    ]
    for response in calls:
        assert response.status_code == 403
        assert response.json() == denied
    assert listing(client, world.user_token, entity) == page(
        entity, [predefined(world, entity), tab]
    )


def test_another_accounts_groups_are_unknown(
    client: TestClient, factory: Factory, world: World, entity: str
):
    other = factory.account()
    other_token = factory.token(other, other.admin)
    response = client.post(url(entity), json=[{"name": "Theirs"}], headers=auth(other_token))
    theirs = response.json()["_embedded"]["custom_field_groups"][0]["id"]
    not_found = problem(404, "Not Found", "Custom field group not found")
    wrong_entity = "companies" if entity != "companies" else "leads"
    own = f"{entity}_{world.account.id}"
    for gid in (theirs, f"{entity}_{other.id}", f"{wrong_entity}_{world.account.id}",
                f"{own}0", f"{own}x", "0", own + "9" * 30):  # fmt: skip
        for method in ("GET", "PATCH", "DELETE"):
            kwargs: dict[str, Any] = {"json": {"name": "Mine"}} if method == "PATCH" else {}
            response = client.request(
                method, f"{url(entity)}/{gid}", headers=auth(world.token), **kwargs
            )
            assert response.status_code == 404, (gid, method)
            assert response.json() == not_found
    response = client.get(f"{url(entity)}/{theirs}", headers=auth(other_token))
    assert response.json()["name"] == "Theirs"
