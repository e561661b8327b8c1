"""POST/PATCH/DELETE /api/v4/sources: whole answers, every write read back
through GET, every bad input answered exactly with nothing changed.

Each test has an account with an account-owned default source (integration NULL, editable by
every integration), a source of the calling integration and one of another integration.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.db import schema
from tests.factories import NOW, Account, Factory
from tests.sources.helpers import integration_token, source

ORIGIN = "http://testserver"
URL = "/api/v4/sources"
USED = "This value is already used."
EXTERNAL_ID = "This value should be 1 to 36 printable ASCII characters."
WHATSAPP = [
    {"type": "whatsapp",
     "params": {"waba": True, "is_supports_list_message": False},
     "pages": [{"name": "Main line", "id": "+31612345678", "link": "https://wa.me/31612345678"}]}
]  # fmt: skip


@dataclass
class World:
    account: Account
    integration: str
    token: str
    other_token: str
    user_token: str
    owned: int
    mine: int
    theirs: int


@pytest.fixture
def world(factory: Factory) -> World:
    account = factory.account()
    mine_integration, other_integration = str(uuid.uuid4()), str(uuid.uuid4())
    owned = source(factory, account, name="Website", external_id="web", integration=None,
                   default=True)  # fmt: skip
    mine = source(factory, account, name="Mine", external_id="mine", integration=mine_integration)
    theirs = source(factory, account, name="Theirs", external_id="theirs",
                    integration=other_integration, default=True)  # fmt: skip
    user = factory.user(account, view="A")
    return World(
        account=account,
        integration=mine_integration,
        token=integration_token(factory, account, account.admin, mine_integration),
        other_token=integration_token(factory, account, account.admin, other_integration),
        user_token=integration_token(factory, account, user, mine_integration),
        owned=owned,
        mine=mine,
        theirs=theirs,
    )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def model(
    source_id: int, name: str, pipeline_id: int, external_id: str, *, default: bool = False,
    origin_code: str | None = None, services: list[Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": source_id, "name": name, "pipeline_id": pipeline_id, "external_id": external_id,
        "default": default, "origin_code": origin_code, "services": services or [],
        "_links": {"self": {"href": f"{ORIGIN}{URL}/{source_id}"}},
    }  # fmt: skip


def answered(item: dict[str, Any], request_id: str) -> dict[str, Any]:
    body = {k: v for k, v in item.items() if k != "_links"}
    return {**body, "request_id": request_id, "_links": item["_links"]}


def collection(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "_total_items": len(items),
        "_links": {"self": {"href": f"{ORIGIN}{URL}"}},
        "_embedded": {"sources": items},
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


def not_a_choice(path: str) -> tuple[str, str, str]:
    return ("NotSupportedChoice", path, "The value you selected is not a valid choice.")


def listing(client: TestClient, token: str) -> list[dict[str, Any]]:
    response = client.get(URL, headers=auth(token))
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["_embedded"]["sources"]
    return items


def everything(client: TestClient, world: World) -> tuple[Any, Any]:
    """What both integrations see: nothing may change after a refused write."""
    return listing(client, world.token), listing(client, world.other_token)


# -- POST ------------------------------------------------------------------------------------


def test_post_creates_sources_and_reads_back(client: TestClient, world: World):
    account = world.account
    body = [
        {"name": "Form", "external_id": "form-1"},
        {"name": "WhatsApp Ünï", "external_id": "theirs", "pipeline_id": account.other_pipeline,
         "default": True, "origin_code": "waba", "services": WHATSAPP, "request_id": "wa",
         "id": 5, "_links": {}},
    ]  # fmt: skip
    response = client.post(URL, json=body, headers=auth(world.token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/hal+json"
    answer = response.json()
    form, wa = (item["id"] for item in answer["_embedded"]["sources"])
    assert form < wa
    expected_form = model(form, "Form", account.main_pipeline, "form-1")
    expected_wa = model(wa, "WhatsApp Ünï", account.other_pipeline, "theirs", default=True,
                        origin_code="waba", services=WHATSAPP)  # fmt: skip
    assert answer == collection([answered(expected_form, "0"), answered(expected_wa, "wa")])
    assert list(answer["_embedded"]["sources"][0]) == [
        "id", "name", "pipeline_id", "external_id", "default", "origin_code", "services",
        "request_id", "_links",
    ]  # fmt: skip
    # the new default unsets the account-owned one; the other integration's stays default
    assert listing(client, world.token) == [
        model(world.owned, "Website", account.main_pipeline, "web"),
        model(world.mine, "Mine", account.main_pipeline, "mine"),
        expected_form,
        expected_wa,
    ]
    assert listing(client, world.other_token) == [
        model(world.owned, "Website", account.main_pipeline, "web"),
        model(world.theirs, "Theirs", account.main_pipeline, "theirs", default=True),
    ]
    response = client.get(f"{URL}/{wa}", headers=auth(world.token))
    assert response.json() == expected_wa
    # another integration does not see them
    assert client.get(f"{URL}/{wa}", headers=auth(world.other_token)).status_code == 204


BAD_ITEMS: list[tuple[str, Any, list[tuple[str, str, str]]]] = [
    ("not an object", [1], [("InvalidType", "", "This value should be of type object.")]),
    ("nothing", {}, [("FieldMissing", "name", "This field is missing."),
                     ("FieldMissing", "external_id", "This field is missing.")]),
    ("null name", {"name": None, "external_id": "x"},
     [("InvalidType", "name", "This value should be of type string.")]),
    ("blank name", {"name": " ", "external_id": "x"},
     [("InvalidValue", "name", "This value should not be blank.")]),
    ("long name", {"name": "n" * 256, "external_id": "x"},
     [("InvalidValue", "name", "This value is too long. It should have 255 characters or less.")]),
    ("empty external id", {"name": "n", "external_id": ""},
     [("InvalidValue", "external_id", EXTERNAL_ID)]),
    ("long external id", {"name": "n", "external_id": "e" * 37},
     [("InvalidValue", "external_id", EXTERNAL_ID)]),
    ("non-ascii external id", {"name": "n", "external_id": "é"},
     [("InvalidValue", "external_id", EXTERNAL_ID)]),
    ("control in external id", {"name": "n", "external_id": "a\tb"},
     [("InvalidValue", "external_id", EXTERNAL_ID)]),
    ("numeric external id", {"name": "n", "external_id": 12},
     [("InvalidType", "external_id", "This value should be of type string.")]),
    ("external id of own source", {"name": "n", "external_id": "mine"},
     [("InvalidValue", "external_id", USED)]),
    ("external id of account source", {"name": "n", "external_id": "web"},
     [("InvalidValue", "external_id", USED)]),
    ("external id earlier in batch", {"name": "n", "external_id": "fine"},
     [("InvalidValue", "external_id", USED)]),
    ("unknown pipeline", {"name": "n", "external_id": "x", "pipeline_id": 2**62},
     [not_a_choice("pipeline_id")]),
    ("pipeline text", {"name": "n", "external_id": "x", "pipeline_id": "1"},
     [("InvalidType", "pipeline_id", "This value should be of type int.")]),
    ("default text", {"name": "n", "external_id": "x", "default": "yes"},
     [("InvalidType", "default", "This value should be of type bool.")]),
    ("second default", {"name": "n", "external_id": "x", "default": True},
     [("InvalidValue", "default", "Only one source can be the default.")]),
    ("long origin code", {"name": "n", "external_id": "x", "origin_code": "o" * 65},
     [("InvalidValue", "origin_code",
       "This value is too long. It should have 64 characters or less.")]),
    ("services object", {"name": "n", "external_id": "x", "services": {"type": "whatsapp"}},
     [("InvalidType", "services", "This value should be of type array.")]),
    ("service not object", {"name": "n", "external_id": "x", "services": ["whatsapp"]},
     [("InvalidType", "services.0", "This value should be of type object.")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("item", "errors"), [c[1:] for c in BAD_ITEMS], ids=[c[0] for c in BAD_ITEMS]
)
def test_post_refuses_a_bad_item_and_the_whole_batch(
    client: TestClient, world: World, item: Any, errors: list[tuple[str, str, str]]
):
    before = everything(client, world)
    good = {"name": "Fine", "external_id": "fine", "default": True}
    response = client.post(URL, json=[good, item], headers=auth(world.token))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == invalid(("1", errors))
    assert everything(client, world) == before


def test_post_pipeline_of_another_account(client: TestClient, factory: Factory, world: World):
    stranger = factory.account()
    before = everything(client, world)
    body = {"name": "n", "external_id": "x", "pipeline_id": stranger.main_pipeline}
    response = client.post(URL, json=body, headers=auth(world.token))
    assert response.json() == invalid(("0", [not_a_choice("pipeline_id")]))
    assert everything(client, world) == before


def test_post_may_reuse_another_integrations_external_id(client: TestClient, world: World):
    response = client.post(
        URL, json={"name": "n", "external_id": "theirs"}, headers=auth(world.token)
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("content", "status", "detail"),
    [
        (b"", 400, "Request data can not be empty"),
        (b"[]", 400, "Request data can not be empty"),
        (b"[{", 400, "Request body is not valid JSON"),
        (b"7", 400, "Request data must be an array of objects"),
        (b"[" + b",".join([b'{"name":"n","external_id":"x"}'] * 51) + b"]", 422,
         "Limit 50 per page"),
    ],
)  # fmt: skip
def test_post_bad_bodies(client: TestClient, world: World, content: bytes, status: int, detail):
    before = everything(client, world)
    response = client.post(URL, content=content, headers=auth(world.token))
    assert response.status_code == status
    title = "Bad Request" if status == 400 else "Unprocessable Entity"
    assert response.json() == problem(status, title, detail)
    assert everything(client, world) == before


def test_post_at_most_100_per_integration(client: TestClient, factory: Factory, world: World):
    ids = factory.ids("sources", 98)
    factory._insert(
        schema.sources,
        [{"account_id": world.account.id, "id": sid, "name": f"S{sid}",
          "pipeline_id": world.account.main_pipeline, "external_id": f"bulk-{sid}",
          "is_default": False, "origin_code": None, "integration_id": world.integration,
          "services": "[]", "created_at": NOW, "updated_at": NOW} for sid in ids],
    )  # fmt: skip
    before = everything(client, world)  # 99 own + the account's
    two = [{"name": "a", "external_id": "a"}, {"name": "b", "external_id": "b"}]
    response = client.post(URL, json=two, headers=auth(world.token))
    assert response.status_code == 422
    assert response.json() == problem(
        422, "Unprocessable Entity", "Limit 100 sources per integration"
    )
    assert everything(client, world) == before
    response = client.post(URL, json=two[:1], headers=auth(world.token))
    assert response.status_code == 200
    assert len(listing(client, world.token)) == 101  # 100 own + the account-owned one


def test_writes_are_for_admins_only(client: TestClient, world: World):
    before = everything(client, world)
    headers = auth(world.user_token)
    calls = [
        client.post(URL, json=[{"name": "n", "external_id": "x"}], headers=headers),
        client.patch(URL, json=[{"id": world.mine, "name": "x"}], headers=headers),
        client.patch(f"{URL}/{world.mine}", json={"name": "x"}, headers=headers),
        client.request("DELETE", URL, json=[{"id": world.mine}], headers=headers),
        client.delete(f"{URL}/{world.mine}", headers=headers),
    ]
    for response in calls:
        assert response.status_code == 403
        assert response.json() == problem(403, "Forbidden", "Access denied")
    assert everything(client, world) == before


# -- PATCH -----------------------------------------------------------------------------------


def test_patch_batch_edits_own_and_account_sources(client: TestClient, world: World):
    account = world.account
    body = [
        {**model(world.mine, "Mine v2", account.other_pipeline, "web", default=True,
                 services=WHATSAPP), "request_id": "m"},
        {"id": world.owned, "external_id": "mine", "origin_code": "site", "default": None},
    ]  # fmt: skip
    response = client.patch(URL, json=body, headers=auth(world.token))
    assert response.status_code == 200, response.text
    expected_mine = model(world.mine, "Mine v2", account.other_pipeline, "web", default=True,
                          services=WHATSAPP)  # fmt: skip
    expected_owned = model(world.owned, "Website", account.main_pipeline, "mine",
                           origin_code="site")  # fmt: skip
    assert response.json() == collection(
        [answered(expected_mine, "m"), answered(expected_owned, "1")]
    )
    assert listing(client, world.token) == [expected_owned, expected_mine]
    assert listing(client, world.other_token) == [
        expected_owned, model(world.theirs, "Theirs", account.main_pipeline, "theirs", default=True)
    ]  # fmt: skip


def test_patch_single_and_clearing(client: TestClient, world: World):
    response = client.patch(
        f"{URL}/{world.owned}",
        json={"id": world.mine, "default": False, "origin_code": None, "services": None},
        headers=auth(world.token),
    )
    assert response.status_code == 200, response.text
    expected = model(world.owned, "Website", world.account.main_pipeline, "web")
    assert response.json() == expected
    assert client.get(f"{URL}/{world.owned}", headers=auth(world.token)).json() == expected


def test_patch_refusals(client: TestClient, factory: Factory, world: World):
    stranger = factory.account()
    foreign = source(factory, stranger, name="F", external_id="f", integration=world.integration)
    before = everything(client, world)
    body = [
        {"id": world.theirs, "name": "x"},
        {"id": foreign, "name": "x"},
        {"name": "no id"},
        {"id": world.mine, "external_id": "web"},
        {"id": world.mine, "name": "twice"},
        {"id": world.owned, "pipeline_id": stranger.main_pipeline, "default": True},
        {"id": "1"},
    ]
    response = client.patch(URL, json=body, headers=auth(world.token))
    assert response.status_code == 400
    assert response.json() == invalid(
        ("0", [not_a_choice("id")]),
        ("1", [not_a_choice("id")]),
        ("2", [("FieldMissing", "id", "This field is missing.")]),
        ("3", [("InvalidValue", "external_id", USED)]),
        ("4", [("InvalidValue", "id", USED)]),
        ("5", [not_a_choice("pipeline_id")]),
        ("6", [("InvalidType", "id", "This value should be of type int.")]),
    )
    assert everything(client, world) == before


def test_patch_single_unknown_and_bad_bodies(client: TestClient, world: World):
    before = everything(client, world)
    for source_id in (world.theirs, 2**62, 2**64):
        response = client.patch(f"{URL}/{source_id}", json={"name": "x"}, headers=auth(world.token))
        assert response.status_code == 404
        assert response.json() == problem(404, "Not Found", "Source not found")
    for content, detail in [
        (b"[]", "Request data must be an object"),
        (b"{}", "Request data can not be empty"),
        (b"{", "Request body is not valid JSON"),
    ]:
        response = client.patch(f"{URL}/{world.mine}", content=content, headers=auth(world.token))
        assert response.status_code == 400
        assert response.json() == problem(400, "Bad Request", detail)
    response = client.patch(
        f"{URL}/{world.mine}", json={"external_id": "x" * 40}, headers=auth(world.token)
    )
    assert response.json() == invalid(("0", [("InvalidValue", "external_id", EXTERNAL_ID)]))
    assert everything(client, world) == before


# -- DELETE ----------------------------------------------------------------------------------


def lead(client: TestClient, token: str, lead_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v4/leads/{lead_id}?with=source_id", headers=auth(token))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_delete_batch_detaches_leads(client: TestClient, factory: Factory, world: World):
    account = world.account
    from_mine = factory.lead(account, source_id=world.mine)
    from_owned = factory.lead(account, source_id=world.owned, is_deleted=True)
    from_theirs = factory.lead(account, source_id=world.theirs)
    untouched = lead(client, world.token, from_theirs)
    started = int(time.time())
    response = client.request(
        "DELETE", URL, json=[{"id": world.mine}, {"id": world.owned}, {"id": world.mine}],
        headers=auth(world.token),
    )  # fmt: skip
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(URL, headers=auth(world.token)).status_code == 204
    assert listing(client, world.other_token) == [
        model(world.theirs, "Theirs", account.main_pipeline, "theirs", default=True)
    ]
    detached = lead(client, world.token, from_mine)
    assert detached["source_id"] is None
    assert detached["updated_by"] == account.admin
    assert detached["updated_at"] >= started
    assert lead(client, world.token, from_theirs) == untouched
    with factory.engine.begin() as conn:
        row = conn.execute(
            sa.text("SELECT source_id, updated_by FROM leads WHERE account_id = :a AND id = :i"),
            {"a": account.id, "i": from_owned},
        ).one()
    assert tuple(row) == (None, account.admin)


def test_delete_single(client: TestClient, factory: Factory, world: World):
    lead_id = factory.lead(world.account, source_id=world.owned)
    response = client.delete(f"{URL}/{world.owned}", headers=auth(world.token))
    assert response.status_code == 204
    assert client.get(f"{URL}/{world.owned}", headers=auth(world.token)).status_code == 204
    assert lead(client, world.token, lead_id)["source_id"] is None


def test_delete_refusals(client: TestClient, factory: Factory, world: World):
    stranger = factory.account()
    foreign = source(factory, stranger, name="F", external_id="f", integration=world.integration)
    before = everything(client, world)
    body = [{"id": world.mine}, {"id": world.theirs}, {"id": foreign}, {}, 5, {"id": "x"}]
    response = client.request("DELETE", URL, json=body, headers=auth(world.token))
    assert response.status_code == 400
    assert response.json() == invalid(
        ("1", [not_a_choice("id")]),
        ("2", [not_a_choice("id")]),
        ("3", [("FieldMissing", "id", "This field is missing.")]),
        ("4", [("InvalidType", "", "This value should be of type object.")]),
        ("5", [("InvalidType", "id", "This value should be of type int.")]),
    )
    for source_id in (world.theirs, foreign, 2**64):
        response = client.delete(f"{URL}/{source_id}", headers=auth(world.token))
        assert response.status_code == 404
        assert response.json() == problem(404, "Not Found", "Source not found")
    response = client.request("DELETE", URL, content=b"", headers=auth(world.token))
    assert response.json() == problem(400, "Bad Request", "Request data can not be empty")
    assert everything(client, world) == before
