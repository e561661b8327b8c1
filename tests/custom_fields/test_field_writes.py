"""POST/PATCH/DELETE /api/v4/leads/custom_fields (Kommo's API "Writes"): whole answers, every
write read back through GET, every bad input answered exactly with nothing changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.search.index import index_leads
from tests.custom_fields.helpers import add_field
from tests.factories import Account, Factory

ORIGIN = "http://testserver"
URL = "/api/v4/leads/custom_fields"
KEY_ORDER = [
    "id", "name", "type", "account_id", "code", "sort", "is_api_only", "enums", "group_id",
    "required_statuses", "is_deletable", "is_predefined", "is_computed", "entity_type",
    "tracking_callback", "remind", "triggers", "currency", "hidden_statuses", "chained_lists",
    "search_in", "_links",
]  # fmt: skip
USED = "This value is already used."


@dataclass
class World:
    account: Account
    token: str
    user_token: str


@pytest.fixture
def world(factory: Factory) -> World:
    account = factory.account()
    user = factory.user(account, view="A")
    return World(account, factory.token(account, account.admin), factory.token(account, user))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def model(account: Account, fid: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": fid, "name": f"Field {fid}", "type": "text", "account_id": account.id,
        "code": None, "sort": 500, "is_api_only": False, "enums": None, "group_id": None,
        "required_statuses": [], "is_deletable": True, "is_predefined": False,
        "is_computed": False, "entity_type": "leads", "tracking_callback": None,
        "remind": None, "triggers": [], "currency": None, "hidden_statuses": [],
        "chained_lists": None, "search_in": None,
        "_links": {"self": {"href": f"{ORIGIN}{URL}/{fid}"}},
    }  # fmt: skip
    body.update(overrides)
    return body


def answered(item: dict[str, Any], request_id: str) -> dict[str, Any]:
    """A field as a write answer shows it: ``request_id`` just before ``_links``."""
    body = {k: v for k, v in item.items() if k != "_links"}
    return {**body, "request_id": request_id, "_links": item["_links"]}


def collection(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "_total_items": len(items),
        "_links": {"self": {"href": f"{ORIGIN}{URL}"}},
        "_embedded": {"custom_fields": items},
    }


def invalid(*entries: tuple[str, list[tuple[str, str, str]]]) -> dict[str, Any]:
    return {
        "validation-errors": [
            {"request_id": rid, "errors": [{"code": c, "path": p, "detail": d} for c, p, d in errs]}
            for rid, errs in entries
        ],
        "title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400,
        "detail": "Request validation failed",
    }  # fmt: skip


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "type": f"https://httpstatus.es/{status}", "status": status,
            "detail": detail}  # fmt: skip


def listing(client: TestClient, token: str) -> Any:
    response = client.get(f"{URL}?limit=50", headers=auth(token))
    return None if response.status_code == 204 else response.json()["_embedded"]["custom_fields"]


def get(client: TestClient, token: str, fid: int) -> dict[str, Any]:
    response = client.get(f"{URL}/{fid}", headers=auth(token))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def not_a_choice(path: str) -> tuple[str, str, str]:
    return ("NotSupportedChoice", path, "The value you selected is not a valid choice.")


# -- POST ------------------------------------------------------------------------------------


def test_post_creates_every_kind_and_reads_back(client: TestClient, world: World):
    account = world.account
    pipeline, status = account.stages["second"]
    other_pipeline, other_status = account.stages["other_first"]
    required = [{"status_id": status, "pipeline_id": pipeline}]
    hidden = [{"status_id": other_status, "pipeline_id": other_pipeline}]
    body = [
        {"name": "Budget line", "type": "text", "code": "BUDGET", "sort": 7, "is_api_only": True,
         "group_id": f"leads_{account.id}", "required_statuses": required,
         "hidden_statuses": hidden, "request_id": "a"},
        {"name": "Branch", "type": "select", "enums": [
            {"value": "North", "sort": 10}, {"value": "South", "code": "S"}, {"value": "East"}],
         "request_id": "b"},
        {"name": "Deal size", "type": "monetary"},
        {"name": "Birthday", "type": "birthday", "remind": "week", "currency": None},
        {"name": "Paid in", "type": "monetary", "currency": "usd"},
        {"name": "UTM", "type": "tracking_data", "tracking_callback": "function(){}",
         "code": "UTM_X"},
        {"name": "Product", "type": "linked_entity", "search_in": "catalog_elements"},
    ]  # fmt: skip
    response = client.post(URL, json=body, headers=auth(world.token))
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/hal+json"
    answer = response.json()
    items = answer["_embedded"]["custom_fields"]
    ids = [item["id"] for item in items]
    assert ids == sorted(ids) and len(set(ids)) == 7
    enum_ids = [e["id"] for e in items[1]["enums"]]
    assert enum_ids == sorted(enum_ids)
    expected = [
        model(account, ids[0], name="Budget line", code="BUDGET", sort=7, is_api_only=True,
              group_id=f"leads_{account.id}", required_statuses=required, hidden_statuses=hidden),
        model(account, ids[1], name="Branch", type="select", enums=[
            {"id": enum_ids[0], "value": "North", "sort": 10, "code": None},
            {"id": enum_ids[1], "value": "South", "sort": 11, "code": "S"},
            {"id": enum_ids[2], "value": "East", "sort": 12, "code": None}]),
        model(account, ids[2], name="Deal size", type="monetary", currency="EUR"),
        model(account, ids[3], name="Birthday", type="birthday", remind="week"),
        model(account, ids[4], name="Paid in", type="monetary", currency="USD"),
        model(account, ids[5], name="UTM", type="tracking_data", code="UTM_X",
              tracking_callback="function(){}"),
        model(account, ids[6], name="Product", type="linked_entity",
              search_in="catalog_elements"),
    ]  # fmt: skip
    request_ids = ["a", "b", "2", "3", "4", "5", "6"]
    assert answer == collection(
        [answered(e, r) for e, r in zip(expected, request_ids, strict=True)]
    )
    assert list(answer) == ["_total_items", "_links", "_embedded"]
    assert list(items[0]) == [*KEY_ORDER[:-1], "request_id", "_links"]
    for item in expected:
        read = get(client, world.token, item["id"])
        assert read == item
        assert list(read) == KEY_ORDER
    assert listing(client, world.token) == sorted(expected, key=lambda e: (e["sort"], e["id"]))


def test_post_single_object_and_chained_lists(client: TestClient, factory: Factory, world: World):
    catalog_id, _ = factory.catalog_element(world.account)
    parent_id, _ = factory.catalog_element(world.account)
    chained = [{"title": "Models", "catalog_id": catalog_id, "parent_catalog_id": parent_id},
               {"title": None, "catalog_id": parent_id, "parent_catalog_id": None}]  # fmt: skip
    response = client.post(
        URL,
        json={"name": "Car", "type": "chained_list", "chained_lists": chained, "request_id": 9},
        headers=auth(world.token),
    )
    assert response.status_code == 201, response.text
    (item,) = response.json()["_embedded"]["custom_fields"]
    expected = model(world.account, item["id"], name="Car", type="chained_list",
                     chained_lists=chained)  # fmt: skip
    assert item == answered(expected, "9")
    assert get(client, world.token, item["id"]) == expected


def test_post_ignores_read_only_keys(client: TestClient, world: World):
    sent = model(world.account, 1, name="Copied", type="multiselect", code="C",
                 is_predefined=True, is_deletable=False, is_computed=True, account_id=1,
                 entity_type="contacts",
                 enums=[{"id": 77, "value": "A", "sort": 1, "code": None}])  # fmt: skip
    response = client.post(URL, json=[sent], headers=auth(world.token))
    assert response.status_code == 201, response.text
    (item,) = response.json()["_embedded"]["custom_fields"]
    (enum,) = item["enums"]
    assert enum["id"] != 77
    expected = model(world.account, item["id"], name="Copied", type="multiselect", code="C",
                     enums=[{"id": enum["id"], "value": "A", "sort": 1, "code": None}])  # fmt: skip
    assert item == answered(expected, "0")


BAD_ITEMS: list[tuple[str, Any, list[tuple[str, str, str]]]] = [
    ("not an object", "text", [("InvalidType", "", "This value should be of type object.")]),
    ("nothing", {}, [("FieldMissing", "type", "This field is missing."),
                     ("FieldMissing", "name", "This field is missing.")]),
    ("unknown type", {"name": "X", "type": "password"}, [not_a_choice("type")]),
    ("type not a string", {"name": "X", "type": 5},
     [("InvalidType", "type", "This value should be of type string.")]),
    ("null name", {"name": None, "type": "text"},
     [("InvalidType", "name", "This value should be of type string.")]),
    ("blank name", {"name": "  ", "type": "text"},
     [("InvalidValue", "name", "This value should not be blank.")]),
    ("long name", {"name": "x" * 256, "type": "text"},
     [("InvalidValue", "name", "This value is too long. It should have 255 characters or less.")]),
    ("long code", {"name": "X", "type": "text", "code": "C" * 65},
     [("InvalidValue", "code", "This value is too long. It should have 64 characters or less.")]),
    ("sort text", {"name": "X", "type": "text", "sort": "1"},
     [("InvalidType", "sort", "This value should be of type int.")]),
    ("sort too big", {"name": "X", "type": "text", "sort": 2**31},
     [("InvalidValue", "sort", "This value should be between 0 and 2147483647.")]),
    ("api only text", {"name": "X", "type": "text", "is_api_only": "yes"},
     [("InvalidType", "is_api_only", "This value should be of type bool.")]),
    ("group id number", {"name": "X", "type": "text", "group_id": 5},
     [("InvalidType", "group_id", "This value should be of type string.")]),
    ("statuses not array", {"name": "X", "type": "text", "required_statuses": {"a": 1}},
     [("InvalidType", "required_statuses", "This value should be of type array.")]),
    ("status pair incomplete", {"name": "X", "type": "text",
                                "required_statuses": [{"status_id": 142}]},
     [("FieldMissing", "required_statuses.0.pipeline_id", "This field is missing.")]),
    ("status entry not object", {"name": "X", "type": "text", "hidden_statuses": [5]},
     [("InvalidType", "hidden_statuses.0", "This value should be of type object.")]),
    ("enums on text", {"name": "X", "type": "text", "enums": [{"value": "A"}]},
     [("InvalidValue", "enums", "This value is not allowed for fields of type text.")]),
    ("enum without value", {"name": "X", "type": "select", "enums": [{"sort": 1}]},
     [("FieldMissing", "enums.0.value", "This field is missing.")]),
    ("enum blank", {"name": "X", "type": "select", "enums": [{"value": ""}]},
     [("InvalidValue", "enums.0.value", "This value should not be blank.")]),
    ("enum twice", {"name": "X", "type": "select", "enums": [{"value": "A"}, {"value": "A"}]},
     [("InvalidValue", "enums.1.value", USED)]),
    ("enum code twice", {"name": "X", "type": "multitext",
                         "enums": [{"value": "A", "code": "WORK"}, {"value": "B", "code": "work"}]},
     [("InvalidValue", "enums.1.code", USED)]),
    ("enums not array", {"name": "X", "type": "select", "enums": "A,B"},
     [("InvalidType", "enums", "This value should be of type array.")]),
    ("remind unknown", {"name": "X", "type": "birthday", "remind": "year"},
     [not_a_choice("remind")]),
    ("remind on text", {"name": "X", "type": "text", "remind": "day"},
     [("InvalidValue", "remind", "This value is not allowed for fields of type text.")]),
    ("currency bad", {"name": "X", "type": "monetary", "currency": "E1R"},
     [("InvalidValue", "currency", "This value should be a 3-letter currency code.")]),
    ("currency on numeric", {"name": "X", "type": "numeric", "currency": "EUR"},
     [("InvalidValue", "currency", "This value is not allowed for fields of type numeric.")]),
    ("chained list without catalog", {"name": "X", "type": "chained_list",
                                      "chained_lists": [{"title": "A"}]},
     [("FieldMissing", "chained_lists.0.catalog_id", "This field is missing.")]),
    ("chained list unknown catalog", {"name": "X", "type": "chained_list",
                                      "chained_lists": [{"catalog_id": 2**62}]},
     [not_a_choice("chained_lists.0.catalog_id")]),
    ("nul in name", {"name": "a\x00b", "type": "text"},
     [("InvalidValue", "name", "This value contains characters not allowed.")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("item", "errors"), [c[1:] for c in BAD_ITEMS], ids=[c[0] for c in BAD_ITEMS]
)
def test_post_refuses_a_bad_item_and_the_whole_batch(
    client: TestClient, world: World, item: Any, errors: list[tuple[str, str, str]]
):
    good = {"name": "Good", "type": "text"}
    response = client.post(URL, json=[good, item], headers=auth(world.token))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == invalid(("1", errors))
    assert listing(client, world.token) is None


def test_post_checks_stages_codes_and_catalogs_of_this_account(
    client: TestClient, factory: Factory, world: World
):
    account = world.account
    stranger = factory.account()
    existing, _ = add_field(factory, account, "text", code="TAKEN")
    add_field(factory, stranger, "text", code="THEIRS")  # another account's code is free
    foreign_catalog, _ = factory.catalog_element(stranger)
    pipeline, status = account.stages["first"]
    other_pipeline, other_status = stranger.stages["first"]
    body = [
        {"name": "A", "type": "text", "code": "TAKEN"},
        {"name": "B", "type": "text", "code": "NEW", "request_id": "b"},
        {"name": "C", "type": "text", "code": "NEW", "required_statuses": [
            {"status_id": status, "pipeline_id": pipeline},
            {"status_id": status, "pipeline_id": account.other_pipeline},
            {"status_id": other_status, "pipeline_id": other_pipeline}],
         "hidden_statuses": [{"status_id": 999, "pipeline_id": pipeline}]},
        {"name": "D", "type": "chained_list", "chained_lists": [{"catalog_id": foreign_catalog}]},
        {"name": "E", "type": "text", "code": "THEIRS"},
    ]  # fmt: skip
    response = client.post(URL, json=body, headers=auth(world.token))
    assert response.status_code == 400
    assert response.json() == invalid(
        ("0", [("InvalidValue", "code", USED)]),
        ("2", [not_a_choice("required_statuses.1.status_id"),
               not_a_choice("required_statuses.2.status_id"),
               not_a_choice("hidden_statuses.0.status_id"),
               ("InvalidValue", "code", USED)]),
        ("3", [not_a_choice("chained_lists.0.catalog_id")]),
    )  # fmt: skip
    assert [f["id"] for f in listing(client, world.token)] == [existing]


@pytest.mark.parametrize(
    ("content", "status", "detail"),
    [
        (b"", 400, "Request data can not be empty"),
        (b"[]", 400, "Request data can not be empty"),
        (b"null", 400, "Request data can not be empty"),
        (b"{nope", 400, "Request body is not valid JSON"),
        (b'"text"', 400, "Request data must be an array of objects"),
        (b"[" + b",".join([b'{"name":"x","type":"text"}'] * 51) + b"]", 422, "Limit 50 per page"),
    ],
)
def test_post_bad_bodies(client: TestClient, world: World, content: bytes, status: int, detail):
    response = client.post(URL, content=content, headers=auth(world.token))
    assert response.status_code == status
    title = "Bad Request" if status == 400 else "Unprocessable Entity"
    assert response.json() == problem(status, title, detail)
    assert listing(client, world.token) is None


def test_writes_are_for_admins_only(client: TestClient, factory: Factory, world: World):
    fid, _ = add_field(factory, world.account, "text")
    before = get(client, world.token, fid)
    denied = problem(403, "Forbidden", "Access denied")
    headers = auth(world.user_token)
    calls = [
        client.post(URL, json=[{"name": "X", "type": "text"}], headers=headers),
        client.patch(URL, json=[{"id": fid, "name": "X"}], headers=headers),
        client.patch(f"{URL}/{fid}", json={"name": "X"}, headers=headers),
        client.delete(f"{URL}/{fid}", headers=headers),
    ]
    for response in calls:
        assert response.status_code == 403
        assert response.json() == denied
    assert listing(client, world.token) == [before]


# -- PATCH -----------------------------------------------------------------------------------


def test_patch_batch_edits_fields_and_enums(client: TestClient, factory: Factory, world: World):
    account = world.account
    pipeline, status = account.stages["won"]
    text_id, _ = add_field(factory, account, "text", code="OLD", sort=10)
    select_id, (north, south, west) = add_field(
        factory, account, "select", enums=[("North", 1, None), ("South", 2, "S"), ("West", 3, None)]
    )
    lead_south = factory.lead(account)
    lead_west = factory.lead(account)
    factory.value(account, lead_south, select_id, enum_id=south)
    factory.value(account, lead_west, select_id, enum_id=west)
    with factory.engine.begin() as conn:
        index_leads(conn, account.id, [lead_south, lead_west])

    sent_text = {**get(client, world.token, text_id), "name": "Renamed", "code": "NEW", "sort": 3,
                 "is_api_only": True, "group_id": f"leads_{account.id}",
                 "required_statuses": [{"status_id": status, "pipeline_id": pipeline}],
                 "request_id": "t"}  # fmt: skip
    sent_select = {
        "id": select_id,
        "type": "select",
        "enums": [
            {"id": south, "value": "Southern"},  # relabelled, keeps sort and code
            {"value": "East"},  # new: one after the entry before it
            {"id": north, "sort": 9, "code": None},
        ],  # West is left out: deleted, and the lead value that chose it too
    }
    response = client.patch(URL, json=[sent_text, sent_select], headers=auth(world.token))
    assert response.status_code == 200, response.text
    answer = response.json()
    select = answer["_embedded"]["custom_fields"][1]
    east = next(e["id"] for e in select["enums"] if e["value"] == "East")
    required = [{"status_id": status, "pipeline_id": pipeline}]
    expected_text = model(account, text_id, name="Renamed", code="NEW", sort=3, is_api_only=True,
                          group_id=f"leads_{account.id}", required_statuses=required)  # fmt: skip
    expected_select = model(account, select_id, type="select", enums=[
        {"id": south, "value": "Southern", "sort": 2, "code": "S"},
        {"id": east, "value": "East", "sort": 3, "code": None},
        {"id": north, "value": "North", "sort": 9, "code": None},
    ])  # fmt: skip
    assert answer == collection([answered(expected_text, "t"), answered(expected_select, "1")])
    assert get(client, world.token, text_id) == expected_text
    assert get(client, world.token, select_id) == expected_select

    south_values = lead_values(client, world.token, lead_south)
    assert south_values == [{"field_id": select_id, "field_name": f"Field {select_id}",
                             "field_code": None, "field_type": "select",
                             "values": [{"value": "Southern", "enum_id": south,
                                         "enum_code": "S"}]}]  # fmt: skip
    assert lead_values(client, world.token, lead_west) is None
    # the search documents follow the labels
    assert search(client, world.token, "southern") == [lead_south]
    assert search(client, world.token, "west") == []


def lead_values(client: TestClient, token: str, lead_id: int) -> Any:
    response = client.get(f"/api/v4/leads/{lead_id}", headers=auth(token))
    assert response.status_code == 200
    return response.json()["custom_fields_values"]


def search(client: TestClient, token: str, query: str) -> list[int]:
    response = client.get("/api/v4/leads", params={"query": query}, headers=auth(token))
    if response.status_code == 204:
        return []
    return [lead["id"] for lead in response.json()["_embedded"]["leads"]]


def test_patch_sends_back_the_whole_read_model_unchanged(
    client: TestClient, factory: Factory, world: World
):
    account = world.account
    pipeline, status = account.stages["first"]
    stages = [{"status_id": status, "pipeline_id": pipeline}]
    fid, _ = add_field(factory, account, "multiselect", enums=[("A", 1, "a"), ("B", 2, None)],
                       is_predefined=True, is_deletable=False, required_statuses=stages,
                       hidden_statuses=stages, code="PRE", group_id="g")  # fmt: skip
    money, _ = add_field(factory, account, "monetary", currency="EUR")
    before = [get(client, world.token, fid), get(client, world.token, money)]
    response = client.patch(URL, json=before, headers=auth(world.token))
    assert response.status_code == 200, response.text
    assert response.json() == collection([answered(before[0], "0"), answered(before[1], "1")])
    assert [get(client, world.token, fid), get(client, world.token, money)] == before
    # the single form answers the object itself
    response = client.patch(f"{URL}/{fid}", json=before[0], headers=auth(world.token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    assert response.json() == before[0]


def test_patch_single_edits_and_clears(client: TestClient, factory: Factory, world: World):
    fid, _ = add_field(factory, world.account, "birthday", code="BD", remind="day", group_id="g")
    response = client.patch(
        f"{URL}/{fid}",
        json={"id": 1, "code": None, "remind": None, "group_id": None, "name": "Born"},
        headers=auth(world.token),
    )
    assert response.status_code == 200, response.text
    expected = model(world.account, fid, type="birthday", name="Born")
    assert response.json() == expected
    assert get(client, world.token, fid) == expected


@pytest.mark.parametrize("cleared", [None, []])
def test_required_statuses_cleared_read_as_an_empty_list(
    client: TestClient, factory: Factory, world: World, cleared: list[Any] | None
):
    """Kommo sends ``required_statuses: []`` for a field no stage requires, never ``null``,
    whether the stages were never set, or cleared with ``null`` or ``[]``."""
    pipeline, status = world.account.stages["first"]
    stages = [{"status_id": status, "pipeline_id": pipeline}]
    fid, _ = add_field(factory, world.account, "text", required_statuses=stages)
    assert get(client, world.token, fid)["required_statuses"] == stages
    response = client.patch(
        f"{URL}/{fid}", json={"required_statuses": cleared}, headers=auth(world.token)
    )
    assert response.status_code == 200, response.text
    assert response.json() == model(world.account, fid)
    assert get(client, world.token, fid) == model(world.account, fid)


def test_patch_codes_may_swap_within_a_batch(client: TestClient, factory: Factory, world: World):
    a, _ = add_field(factory, world.account, "text", code="A")
    b, _ = add_field(factory, world.account, "text", code="B")
    c, _ = add_field(factory, world.account, "text", code="C")
    response = client.patch(
        URL, json=[{"id": a, "code": "B"}, {"id": b, "code": "A"}], headers=auth(world.token)
    )
    assert response.status_code == 200, response.text
    assert [get(client, world.token, i)["code"] for i in (a, b, c)] == ["B", "A", "C"]
    before = listing(client, world.token)
    response = client.patch(URL, json=[{"id": a, "code": "C"}], headers=auth(world.token))
    assert response.json() == invalid(("0", [("InvalidValue", "code", USED)]))
    assert listing(client, world.token) == before


def test_patch_refusals(client: TestClient, factory: Factory, world: World):
    account = world.account
    stranger = factory.account()
    text_id, _ = add_field(factory, account, "text")
    select_id, (own_enum,) = add_field(factory, account, "select", enums=[("A", 1, None)])
    other_select, (other_enum,) = add_field(factory, account, "select", enums=[("B", 1, None)])
    predefined, _ = add_field(factory, account, "tracking_data", code="UTM_SOURCE",
                              is_predefined=True, is_deletable=False)  # fmt: skip
    contact_field, _ = add_field(factory, account, "text", entity_type="contacts")
    theirs, _ = add_field(factory, stranger, "text")
    before = listing(client, world.token)
    body = [
        {"id": text_id, "type": "textarea", "name": "ok"},
        {"id": theirs, "name": "x"},
        {"id": contact_field, "name": "x"},
        {"name": "no id"},
        {"id": "7"},
        {"id": select_id, "enums": [{"id": other_enum, "value": "B"}, {"id": own_enum},
                                    {"id": own_enum}]},
        {"id": predefined, "code": "UTM_X"},
        {"id": text_id, "name": "twice"},
        {"id": 0},
    ]  # fmt: skip
    response = client.patch(URL, json=body, headers=auth(world.token))
    assert response.status_code == 400
    assert response.json() == invalid(
        ("0", [("InvalidValue", "type", "The type of a custom field cannot be changed.")]),
        ("1", [not_a_choice("id")]),
        ("2", [not_a_choice("id")]),
        ("3", [("FieldMissing", "id", "This field is missing.")]),
        ("4", [("InvalidType", "id", "This value should be of type int.")]),
        ("5", [not_a_choice("enums.0.id"), ("InvalidValue", "enums.2.id", USED)]),
        ("6", [("InvalidValue", "code", "The code of a predefined field cannot be changed.")]),
        ("7", [("InvalidValue", "id", USED)]),
        ("8", [not_a_choice("id")]),
    )  # fmt: skip
    assert listing(client, world.token) == before
    assert get(client, world.token, other_select)["enums"][0]["id"] == other_enum


def test_patch_single_unknown_and_bad_bodies(client: TestClient, factory: Factory, world: World):
    stranger = factory.account()
    theirs, _ = add_field(factory, stranger, "text")
    mine, _ = add_field(factory, world.account, "text")
    before = get(client, world.token, mine)
    not_found = problem(404, "Not Found", "Custom field not found")
    for fid in (theirs, 2**62, 2**64):
        response = client.patch(f"{URL}/{fid}", json={"name": "x"}, headers=auth(world.token))
        assert response.status_code == 404
        assert response.json() == not_found
    cases = [
        (b"[]", "Request data must be an object"),
        (b"{}", "Request data can not be empty"),
        (b"", "Request data can not be empty"),
        (b"{x", "Request body is not valid JSON"),
    ]
    for content, detail in cases:
        response = client.patch(f"{URL}/{mine}", content=content, headers=auth(world.token))
        assert response.status_code == 400
        assert response.json() == problem(400, "Bad Request", detail)
    response = client.patch(
        f"{URL}/{mine}", json={"name": 5, "request_id": "r"}, headers=auth(world.token)
    )
    assert response.json() == invalid(
        ("r", [("InvalidType", "name", "This value should be of type string.")])
    )
    assert get(client, world.token, mine) == before


# -- DELETE ----------------------------------------------------------------------------------


def test_delete_takes_values_and_enums_along(client: TestClient, factory: Factory, world: World):
    account = world.account
    fid, (enum,) = add_field(factory, account, "select", enums=[("Gold", 1, None)])
    keep, _ = add_field(factory, account, "text")
    lead = factory.lead(account)
    factory.value(account, lead, fid, enum_id=enum)
    factory.value(account, lead, keep, value_text="stays")
    with factory.engine.begin() as conn:
        index_leads(conn, account.id, [lead])
    assert search(client, world.token, "gold") == [lead]
    response = client.delete(f"{URL}/{fid}", headers=auth(world.token))
    assert response.status_code == 204
    assert response.content == b""
    response = client.get(f"{URL}/{fid}", headers=auth(world.token))
    assert response.status_code == 404
    assert [f["id"] for f in listing(client, world.token)] == [keep]
    assert [v["field_id"] for v in lead_values(client, world.token, lead)] == [keep]
    assert search(client, world.token, "gold") == []
    assert search(client, world.token, "stays") == [lead]
    with factory.engine.begin() as conn:
        left = conn.execute(
            sa.text("SELECT count(*) FROM custom_field_enums WHERE account_id = :a"),
            {"a": account.id},
        ).scalar_one()
    assert left == 0


def test_delete_refusals(client: TestClient, factory: Factory, world: World):
    stranger = factory.account()
    predefined, _ = add_field(factory, world.account, "text", is_predefined=True)
    fixed, _ = add_field(factory, world.account, "text", is_deletable=False)
    contact_field, _ = add_field(factory, world.account, "text", entity_type="contacts")
    theirs, _ = add_field(factory, stranger, "text")
    before = listing(client, world.token)
    for fid in (predefined, fixed):
        response = client.delete(f"{URL}/{fid}", headers=auth(world.token))
        assert response.status_code == 400
        assert response.json() == problem(
            400, "Bad Request", "This custom field can not be deleted"
        )
    for fid in (theirs, contact_field, 2**62):
        response = client.delete(f"{URL}/{fid}", headers=auth(world.token))
        assert response.status_code == 404
        assert response.json() == problem(404, "Not Found", "Custom field not found")
    assert listing(client, world.token) == before
    assert get(client, factory.token(stranger, stranger.admin), theirs)["id"] == theirs
