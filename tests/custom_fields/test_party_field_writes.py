"""POST/PATCH/DELETE /api/v4/{contacts|companies}/custom_fields (neighbours §4.4): the leads'
writes with the entity type as a parameter; leads-only types and keys refused, predefined
fields keep type, code and enums and cannot be deleted; nothing changes on a refusal."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.db import schema
from tests.custom_fields.helpers import add_field
from tests.custom_fields.test_field_writes import (
    KEY_ORDER,
    ORIGIN,
    World,
    answered,
    auth,
    invalid,
    not_a_choice,
    problem,
)
from tests.factories import Factory
from tests.parties.helpers import add_party

OWNER = {"contacts": "contact_id", "companies": "company_id"}
OTHER = {"contacts": "companies", "companies": "contacts"}


@pytest.fixture(name="world")
def world_fixture(factory: Factory) -> World:
    account = factory.account()
    user = factory.user(account, view="A")
    return World(account, factory.token(account, account.admin), factory.token(account, user))


@pytest.fixture(params=["contacts", "companies"])
def entity(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


def url(entity: str) -> str:
    return f"/api/v4/{entity}/custom_fields"


def model(world: World, entity: str, fid: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": fid, "name": f"Field {fid}", "type": "text", "account_id": world.account.id,
        "code": None, "sort": 500, "is_api_only": False, "enums": None, "group_id": None,
        "required_statuses": [], "is_deletable": True, "is_predefined": False,
        "is_computed": False, "entity_type": entity, "tracking_callback": None,
        "remind": None, "triggers": [], "currency": None, "hidden_statuses": [],
        "chained_lists": None, "search_in": None,
        "_links": {"self": {"href": f"{ORIGIN}{url(entity)}/{fid}"}},
    }  # fmt: skip
    body.update(overrides)
    return body


def listing(client: TestClient, world: World, entity: str) -> Any:
    response = client.get(f"{url(entity)}?limit=50", headers=auth(world.token))
    return None if response.status_code == 204 else response.json()["_embedded"]["custom_fields"]


def get(client: TestClient, world: World, entity: str, fid: int) -> dict[str, Any]:
    response = client.get(f"{url(entity)}/{fid}", headers=auth(world.token))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def predefined_phone(factory: Factory, world: World, entity: str) -> tuple[int, list[int]]:
    return add_field(
        factory, world.account, "multitext", entity_type=entity, name="Phone", code="PHONE",
        sort=4, is_predefined=True, is_deletable=False,
        enums=[("WORK", 2, None), ("MOB", 4, None)],
    )  # fmt: skip


def values_of(client: TestClient, world: World, entity: str, pid: int) -> Any:
    response = client.get(f"/api/v4/{entity}/{pid}", headers=auth(world.token))
    assert response.status_code == 200
    return response.json()["custom_fields_values"]


def add_value(factory: Factory, world: World, entity: str, pid: int, fid: int, **cols: Any) -> None:
    row: dict[str, Any] = {
        "account_id": world.account.id, OWNER[entity]: pid, "field_id": fid, "position": 0,
        "enum_id": None, "value_text": None, "value_number": None, "value_int": None,
        "value_json": None,
    }  # fmt: skip
    row.update(cols)
    factory._insert(schema.metadata.tables[f"{OWNER[entity][:-3]}_custom_field_values"], [row])


def test_post_patch_and_read_back(client: TestClient, world: World, entity: str):
    body = [
        {"name": "Messenger", "type": "multitext", "code": "TG",
         "enums": [{"value": "TELEGRAM"}, {"value": "SIGNAL", "sort": 9}], "request_id": "a"},
        {"name": "Birthday", "type": "birthday", "remind": "day", "entity_type": "leads"},
    ]  # fmt: skip
    response = client.post(url(entity), json=body, headers=auth(world.token))
    assert response.status_code == 201, response.text
    answer = response.json()
    items = answer["_embedded"]["custom_fields"]
    ids = [item["id"] for item in items]
    enum_ids = [e["id"] for e in items[0]["enums"]]
    expected = [
        model(world, entity, ids[0], name="Messenger", type="multitext", code="TG", enums=[
            {"id": enum_ids[0], "value": "TELEGRAM", "sort": 1, "code": None},
            {"id": enum_ids[1], "value": "SIGNAL", "sort": 9, "code": None}]),
        model(world, entity, ids[1], name="Birthday", type="birthday", remind="day"),
    ]  # fmt: skip
    assert answer == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}{url(entity)}"}},
        "_embedded": {"custom_fields": [answered(expected[0], "a"), answered(expected[1], "1")]},
    }
    for item in expected:
        read = get(client, world, entity, item["id"])
        assert read == item
        assert list(read) == KEY_ORDER
    # the other entity type and leads do not see them
    assert listing(client, world, OTHER[entity]) is None
    assert listing(client, world, "leads") is None

    response = client.patch(
        url(entity),
        json=[{"id": ids[1], "name": "Born", "sort": 3, "request_id": "x"}],
        headers=auth(world.token),
    )
    assert response.status_code == 200, response.text
    born = model(world, entity, ids[1], name="Born", type="birthday", remind="day", sort=3)
    assert response.json() == {
        "_total_items": 1,
        "_links": {"self": {"href": f"{ORIGIN}{url(entity)}"}},
        "_embedded": {"custom_fields": [answered(born, "x")]},
    }
    response = client.patch(
        f"{url(entity)}/{ids[0]}", json={"code": None}, headers=auth(world.token)
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**expected[0], "code": None}
    assert listing(client, world, entity) == [born, {**expected[0], "code": None}]


def test_codes_are_unique_per_entity_type(
    client: TestClient, factory: Factory, world: World, entity: str
):
    predefined_phone(factory, world, OTHER[entity])
    add_field(factory, world.account, "text", code="MINE")
    response = client.post(
        url(entity), json=[{"name": "Phone", "type": "multitext", "code": "PHONE"},
                           {"name": "Mine", "type": "text", "code": "MINE"}],
        headers=auth(world.token),
    )  # fmt: skip
    assert response.status_code == 201, response.text
    response = client.post(
        url(entity), json=[{"name": "Again", "type": "text", "code": "PHONE"}],
        headers=auth(world.token),
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == invalid(
        ("0", [("InvalidValue", "code", "This value is already used.")])
    )


def test_post_refuses_leads_only_types_and_keys(
    client: TestClient, factory: Factory, world: World, entity: str
):
    pipeline, status = world.account.stages["second"]
    body = [
        {"name": "UTM", "type": "tracking_data"},
        {"name": "Chain", "type": "chained_list"},
        {"name": "Hidden", "type": "text",
         "hidden_statuses": [{"status_id": status, "pipeline_id": pipeline}]},
        {"name": "Fine", "type": "text"},
    ]  # fmt: skip
    response = client.post(url(entity), json=body, headers=auth(world.token))
    assert response.status_code == 400
    assert response.json() == invalid(
        ("0", [not_a_choice("type")]),
        ("1", [not_a_choice("type")]),
        ("2", [("InvalidValue", "hidden_statuses",
                f"This value is not allowed for fields of {entity}.")]),
    )  # fmt: skip
    assert listing(client, world, entity) is None


def test_patch_refusals(client: TestClient, factory: Factory, world: World, entity: str):
    stranger = factory.account()
    phone, (work, mob) = predefined_phone(factory, world, entity)
    text_id, _ = add_field(factory, world.account, "text", entity_type=entity)
    hidden, _ = add_field(factory, world.account, "text", entity_type=entity)
    lead_field, _ = add_field(factory, world.account, "text")
    other_kind, _ = add_field(factory, world.account, "text", entity_type=OTHER[entity])
    theirs, _ = add_field(factory, stranger, "text", entity_type=entity)
    before = listing(client, world, entity)
    body = [
        {"id": phone, "code": "TEL"},
        {"id": text_id, "type": "multitext"},
        {"id": lead_field, "name": "x"},
        {"id": other_kind, "name": "x"},
        {"id": theirs, "name": "x"},
        {"id": hidden, "hidden_statuses": [{"status_id": 1, "pipeline_id": 1}]},
    ]  # fmt: skip
    response = client.patch(url(entity), json=body, headers=auth(world.token))
    assert response.status_code == 400
    assert response.json() == invalid(
        ("0", [("InvalidValue", "code", "The code of a predefined field cannot be changed.")]),
        ("1", [("InvalidValue", "type", "The type of a custom field cannot be changed.")]),
        ("2", [not_a_choice("id")]),
        ("3", [not_a_choice("id")]),
        ("4", [not_a_choice("id")]),
        ("5", [not_a_choice("hidden_statuses.0.status_id"),
               ("InvalidValue", "hidden_statuses",
                f"This value is not allowed for fields of {entity}.")]),
    )  # fmt: skip
    fixed = "The enums of a predefined field cannot be added, removed or renamed."
    for enums in (
        [{"id": work}],
        [{"id": work}, {"id": mob, "value": "CELL"}],
        [{"id": work}, {"id": mob}, {"value": "PAGER"}],
    ):
        response = client.patch(
            f"{url(entity)}/{phone}", json={"enums": enums}, headers=auth(world.token)
        )
        assert response.status_code == 400
        assert response.json() == invalid(("0", [("InvalidValue", "enums", fixed)]))
    for fid in (lead_field, other_kind, theirs):
        response = client.patch(
            f"{url(entity)}/{fid}", json={"name": "x"}, headers=auth(world.token)
        )
        assert response.status_code == 404
        assert response.json() == problem(404, "Not Found", "Custom field not found")
    assert listing(client, world, entity) == before
    # a predefined field may be renamed and its enums re-sorted
    response = client.patch(
        f"{url(entity)}/{phone}",
        json={"name": "Telephone", "enums": [{"id": mob, "sort": 1}, {"id": work}]},
        headers=auth(world.token),
    )
    assert response.status_code == 200, response.text
    assert response.json() == model(
        world, entity, phone, name="Telephone", type="multitext", code="PHONE", sort=4,
        is_predefined=True, is_deletable=False, enums=[
            {"id": mob, "value": "MOB", "sort": 1, "code": None},
            {"id": work, "value": "WORK", "sort": 2, "code": None}],
    )  # fmt: skip


def test_removed_enums_take_their_values(
    client: TestClient, factory: Factory, world: World, entity: str
):
    fid, (gold, silver) = add_field(
        factory, world.account, "select", entity_type=entity, name="Tier",
        enums=[("Gold", 1, None), ("Silver", 2, None)],
    )  # fmt: skip
    first = add_party(factory, world.account, entity, world.account.admin)
    second = add_party(factory, world.account, entity, world.account.admin)
    add_value(factory, world, entity, first, fid, enum_id=gold, value_text="Gold")
    add_value(factory, world, entity, second, fid, enum_id=silver, value_text="Silver")
    response = client.patch(
        f"{url(entity)}/{fid}", json={"enums": [{"id": silver}]}, headers=auth(world.token)
    )
    assert response.status_code == 200, response.text
    assert values_of(client, world, entity, first) is None
    assert values_of(client, world, entity, second) == [
        {"field_id": fid, "field_name": "Tier", "field_code": None, "field_type": "select",
         "values": [{"value": "Silver", "enum_id": silver, "enum_code": "Silver"}]},
    ]  # fmt: skip


def test_delete(client: TestClient, factory: Factory, world: World, entity: str):
    stranger = factory.account()
    phone, _ = predefined_phone(factory, world, entity)
    fid, _ = add_field(factory, world.account, "text", entity_type=entity)
    keep, _ = add_field(factory, world.account, "text", entity_type=entity)
    lead_field, _ = add_field(factory, world.account, "text")
    other_kind, _ = add_field(factory, world.account, "text", entity_type=OTHER[entity])
    theirs, _ = add_field(factory, stranger, "text", entity_type=entity)
    party = add_party(factory, world.account, entity, world.account.admin)
    add_value(factory, world, entity, party, fid, value_text="gone")
    add_value(factory, world, entity, party, keep, value_text="stays")

    response = client.delete(f"{url(entity)}/{phone}", headers=auth(world.token))
    assert response.status_code == 400
    assert response.json() == problem(400, "Bad Request", "This custom field can not be deleted")
    for other in (lead_field, other_kind, theirs, 2**62):
        response = client.delete(f"{url(entity)}/{other}", headers=auth(world.token))
        assert response.status_code == 404
        assert response.json() == problem(404, "Not Found", "Custom field not found")
    assert [f["id"] for f in listing(client, world, entity)] == [phone, fid, keep]

    response = client.delete(f"{url(entity)}/{fid}", headers=auth(world.token))
    assert response.status_code == 204
    assert response.content == b""
    assert [f["id"] for f in listing(client, world, entity)] == [phone, keep]
    assert values_of(client, world, entity, party) == [
        {"field_id": keep, "field_name": f"Field {keep}", "field_code": None,
         "field_type": "text", "values": [{"value": "stays"}]},
    ]  # fmt: skip
    assert get(client, world, OTHER[entity], other_kind)["id"] == other_kind


def test_writes_are_for_admins_only(
    client: TestClient, factory: Factory, world: World, entity: str
):
    fid, _ = add_field(factory, world.account, "text", entity_type=entity)
    before = listing(client, world, entity)
    headers = auth(world.user_token)
    calls = [
        client.post(url(entity), json=[{"name": "X", "type": "text"}], headers=headers),
        client.patch(url(entity), json=[{"id": fid, "name": "X"}], headers=headers),
        client.patch(f"{url(entity)}/{fid}", json={"name": "X"}, headers=headers),
        client.delete(f"{url(entity)}/{fid}", headers=headers),
    ]
    for response in calls:
        assert response.status_code == 403
        assert response.json() == problem(403, "Forbidden", "Access denied")
    assert listing(client, world, entity) == before


BAD_BODIES = [
    (b"", 400, "Request data can not be empty"),
    (b"[]", 400, "Request data can not be empty"),
    (b"{nope", 400, "Request body is not valid JSON"),
    (b'"text"', 400, "Request data must be an array of objects"),
    (b"[" + b",".join([b'{"name":"x","type":"text"}'] * 51) + b"]", 422, "Limit 50 per page"),
]


def test_bad_bodies_and_types(client: TestClient, factory: Factory, world: World, entity: str):
    fid, _ = add_field(factory, world.account, "text", entity_type=entity)
    before = listing(client, world, entity)
    for method in ("POST", "PATCH"):
        for content, status, detail in BAD_BODIES:
            response = client.request(
                method, url(entity), content=content, headers=auth(world.token)
            )
            assert response.status_code == status
            title = "Bad Request" if status == 400 else "Unprocessable Entity"
            assert response.json() == problem(status, title, detail)
    body = [
        {"name": 5, "type": "text"},
        {"name": "No type"},
        {"name": "Unknown", "type": "spreadsheet"},
        {"name": "Sorted", "type": "text", "sort": "first", "is_api_only": "yes"},
        7,
    ]  # fmt: skip
    response = client.post(url(entity), json=body, headers=auth(world.token))
    assert response.status_code == 400
    assert response.json() == invalid(
        ("0", [("InvalidType", "name", "This value should be of type string.")]),
        ("1", [("FieldMissing", "type", "This field is missing.")]),
        ("2", [not_a_choice("type")]),
        ("3", [("InvalidType", "sort", "This value should be of type int."),
               ("InvalidType", "is_api_only", "This value should be of type bool.")]),
        ("4", [("InvalidType", "", "This value should be of type object.")]),
    )  # fmt: skip
    response = client.patch(
        url(entity), json=[{"id": fid, "name": None, "enums": "x"}], headers=auth(world.token)
    )
    assert response.status_code == 400
    assert response.json() == invalid(
        ("0", [("InvalidType", "name", "This value should be of type string."),
               ("InvalidType", "enums", "This value should be of type array.")]),
    )  # fmt: skip
    assert listing(client, world, entity) == before


def test_read_only_keys_sent_back_are_ignored(client: TestClient, world: World, entity: str):
    body = [
        {"name": "Copy", "type": "text", "is_predefined": True, "is_deletable": False,
         "is_computed": True, "entity_type": "leads", "account_id": 1, "triggers": [1],
         "_links": {"self": {"href": "x"}}},
    ]  # fmt: skip
    response = client.post(url(entity), json=body, headers=auth(world.token))
    assert response.status_code == 201, response.text
    (item,) = response.json()["_embedded"]["custom_fields"]
    expected = model(world, entity, item["id"], name="Copy")
    assert item == answered(expected, "0")
    assert get(client, world, entity, item["id"]) == expected
    response = client.delete(f"{url(entity)}/{item['id']}", headers=auth(world.token))
    assert response.status_code == 204
