"""POST /api/v4/leads/pipelines/{pid}/statuses, PATCH and DELETE .../statuses/{id} (Kommo's API,
): admins only, whole answers read back through the GETs, bad input changes
nothing, system statuses are untouchable, a deleted status's leads move to the first stage."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import Account, Factory
from tests.pipelines.helpers import (
    BLANK,
    MISSING,
    NOT_A_CHOICE,
    ORIGIN,
    PIPELINES,
    SORT_RANGE,
    TOO_LONG,
    TYPE,
    WRITTEN_STATUS_KEYS,
    assert_problem,
    db_rows,
    factory_statuses,
    headers,
    invalid,
    ok,
    problem,
    send,
    status_object,
    with_request_id,
)

DUPLICATE_LEVEL = "Each level can have only one description."
SYSTEM_EDIT = "System statuses cannot be edited."
DESCRIPTION_TOO_LONG = "This value is too long. It should have 1000 characters or less."


@dataclass
class Setup:
    account: Account
    admin: str
    user: str
    main: int
    statuses_url: str

    def listing(self, client: TestClient, pipeline_id: int | None = None) -> Any:
        """The pipeline's statuses as GET lists them, with descriptions."""
        pid = self.main if pipeline_id is None else pipeline_id
        response = client.get(f"{PIPELINES}/{pid}/statuses?with=descriptions",
                              headers=headers(self.admin))  # fmt: skip
        return ok(response)


@pytest.fixture
def setup(factory: Factory) -> Setup:
    account = factory.account()
    main = account.main_pipeline
    return Setup(
        account=account,
        admin=factory.token(account, account.admin),
        user=factory.token(account, factory.user(account, view="A")),
        main=main,
        statuses_url=f"{PIPELINES}/{main}/statuses",
    )


def _description(
    account: Account, pipeline_id: int, status_id: int, did: int, level: str, text: str,
    created: str, updated: str,
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": did, "account_id": account.id, "created_at": created, "updated_at": updated,
        "created_by": 0, "updated_by": 0, "pipeline_id": pipeline_id, "status_id": status_id,
        "level": level, "description": text,
    }  # fmt: skip


def _with_descriptions(item: dict[str, Any], descriptions: list[Any]) -> dict[str, Any]:
    body = {k: v for k, v in item.items() if k != "_links"}
    return body | {"descriptions": descriptions, "_links": item["_links"]}


def _stamp(before: int, after: int, value: str) -> None:
    """``value`` is a UTC ``YYYY-MM-DD HH:MM:SS`` between the two instants."""
    moment = calendar.timegm(time.strptime(value, "%Y-%m-%d %H:%M:%S"))
    assert before <= moment <= after


def _initial(setup: Setup, factory: Factory) -> list[dict[str, Any]]:
    return [_with_descriptions(s, []) for s in factory_statuses(setup.account, factory)[setup.main]]


# -- POST ------------------------------------------------------------------------------------


def test_add_whole_answer_and_read_back(client: TestClient, factory: Factory, setup: Setup):
    account, main = setup.account, setup.main
    before = int(time.time())
    body = ok(send(client, "POST", setup.admin, setup.statuses_url, [
        {"name": "Negotiation ✓", "sort": 25, "color": "#EB93FF", "request_id": "n",
         "descriptions": [
             {"level": "master", "description": "Close it"},
             {"level": "newbie", "description": "Ask a senior"},
         ]},
        {"name": "Review", "sort": 40, "descriptions": []},
    ]))  # fmt: skip
    after = int(time.time())
    assert list(body) == ["_total_items", "_links", "_embedded"]
    negotiation, review = body["_embedded"]["statuses"]
    for item in (negotiation, review):
        assert list(item) == WRITTEN_STATUS_KEYS
    n_id, r_id = negotiation["id"], review["id"]
    d_master, d_newbie = (d["id"] for d in negotiation["descriptions"])
    assert d_master < d_newbie
    stamp = negotiation["descriptions"][0]["created_at"]
    _stamp(before, after, stamp)
    n_descriptions = [
        _description(account, main, n_id, d_master, "master", "Close it", stamp, stamp),
        _description(account, main, n_id, d_newbie, "newbie", "Ask a senior", stamp, stamp),
    ]
    n_object = status_object(account, main, n_id, "Negotiation ✓", 25, editable=True,
                             color="#eb93ff")  # fmt: skip
    r_object = status_object(account, main, r_id, "Review", 40, editable=True, color="#fffeb2")
    assert body == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}{setup.statuses_url}"}},
        "_embedded": {"statuses": [
            with_request_id(n_object, "n", descriptions=n_descriptions),
            with_request_id(r_object, "1", descriptions=[]),
        ]},
    }  # fmt: skip

    initial = _initial(setup, factory)
    assert setup.listing(client)["_embedded"]["statuses"] == [
        *initial[:2], _with_descriptions(n_object, n_descriptions), initial[2],
        _with_descriptions(r_object, []), *initial[3:],
    ]  # fmt: skip
    assert ok(send(client, "GET", setup.user, f"{setup.statuses_url}/{n_id}")) == n_object
    pipeline = ok(send(client, "GET", setup.user, f"{PIPELINES}/{main}"))
    assert [s["id"] for s in pipeline["_embedded"]["statuses"]][2:5] == [
        n_id, account.stages["second"][1], r_id,
    ]  # fmt: skip


def test_add_every_field_mistake_in_one_answer(client: TestClient, factory: Factory, setup: Setup):
    response = send(client, "POST", setup.admin, setup.statuses_url, [
        {"request_id": "empty"},
        {"name": ["x"], "sort": 1.5, "color": "red", "descriptions": "text"},
        {"name": "x" * 256, "sort": -5, "color": None, "descriptions": [
            {"level": "guru", "description": "x"},
            {"description": 5},
            {"level": "newbie", "description": "y" * 1001},
            {"level": "master", "description": "ok"},
            {"level": "master", "description": "again"},
            7,
        ]},
        [],
        {"name": " ", "sort": None},
    ])  # fmt: skip
    d = "descriptions"
    assert_problem(response, invalid(
        ("empty", [("FieldMissing", "name", MISSING), ("FieldMissing", "sort", MISSING)]),
        ("1", [("InvalidType", "name", TYPE.format("string")),
               ("InvalidType", "sort", TYPE.format("int")),
               ("NotSupportedChoice", "color", NOT_A_CHOICE),
               ("InvalidType", d, TYPE.format("array"))]),
        ("2", [("InvalidValue", "name", TOO_LONG), ("InvalidValue", "sort", SORT_RANGE),
               ("InvalidType", "color", TYPE.format("string")),
               ("InvalidType", f"{d}.5", TYPE.format("object")),
               ("NotSupportedChoice", f"{d}.0.level", NOT_A_CHOICE),
               ("FieldMissing", f"{d}.1.level", MISSING),
               ("InvalidType", f"{d}.1.description", TYPE.format("string")),
               ("InvalidValue", f"{d}.2.description", DESCRIPTION_TOO_LONG),
               ("InvalidValue", f"{d}.4.level", DUPLICATE_LEVEL)]),
        ("3", [("InvalidType", "", TYPE.format("object"))]),
        ("4", [("InvalidValue", "name", BLANK), ("InvalidType", "sort", TYPE.format("int"))]),
    ))  # fmt: skip
    assert setup.listing(client)["_embedded"]["statuses"] == _initial(setup, factory)


def test_add_is_all_or_nothing(client: TestClient, factory: Factory, setup: Setup):
    good = {"name": "Good", "sort": 50, "descriptions": [{"level": "newbie", "description": "x"}]}
    response = send(client, "POST", setup.admin, setup.statuses_url,
                    [good, {"name": "Bad", "sort": 60, "color": "#000000"}])  # fmt: skip
    assert_problem(response, invalid(("1", [("NotSupportedChoice", "color", NOT_A_CHOICE)])))
    assert setup.listing(client)["_embedded"]["statuses"] == _initial(setup, factory)
    assert db_rows(factory, "SELECT id FROM status_descriptions WHERE account_id = :a",
                   a=setup.account.id) == []  # fmt: skip


def test_pipeline_holds_at_most_100_statuses(client: TestClient, factory: Factory, setup: Setup):
    """The main pipeline has 5: 96 more would make 101, so the 96th item is refused."""
    items = [{"name": f"S{i}", "sort": 100 + i} for i in range(96)]
    response = send(client, "POST", setup.admin, setup.statuses_url, items)
    detail = "A pipeline can have at most 100 statuses, the system ones included."
    assert_problem(response, invalid(("95", [("InvalidValue", "", detail)])))
    assert setup.listing(client)["_embedded"]["statuses"] == _initial(setup, factory)
    assert (
        ok(send(client, "POST", setup.admin, setup.statuses_url, items[:95]))["_total_items"] == 95
    )
    assert setup.listing(client)["_total_items"] == 100


@pytest.mark.parametrize(
    ("raw", "status", "detail"),
    [
        (b"", 400, "Request data can not be empty"),
        (b"[]", 400, "Request data can not be empty"),
        (b"{bad", 400, "Request body is not valid JSON"),
        (b"5", 400, "Request data must be an array of objects"),
    ],
)
def test_add_bad_bodies(
    client: TestClient, factory: Factory, setup: Setup, raw: bytes, status: int, detail: str
):
    response = send(client, "POST", setup.admin, setup.statuses_url, raw)
    assert_problem(response, problem(status, detail))
    assert setup.listing(client)["_embedded"]["statuses"] == _initial(setup, factory)


def test_add_101_items_is_422(client: TestClient, factory: Factory, setup: Setup):
    items = [{"name": "S", "sort": 1}] * 101
    response = send(client, "POST", setup.admin, setup.statuses_url, items)
    assert_problem(response, problem(422, "Limit 100 per page"))
    assert setup.listing(client)["_embedded"]["statuses"] == _initial(setup, factory)


def test_add_to_unknown_or_foreign_pipeline_is_404(
    client: TestClient, factory: Factory, setup: Setup
):
    foreign = factory.account()
    for pid in (foreign.main_pipeline, 999_999_999, 0, 2**63):
        response = send(client, "POST", setup.admin, f"{PIPELINES}/{pid}/statuses",
                        [{"name": "S", "sort": 1}])  # fmt: skip
        assert_problem(response, problem(404, "Pipeline not found"))
    foreign_token = factory.token(foreign, foreign.admin)
    listed = ok(send(client, "GET", foreign_token, f"{PIPELINES}/{foreign.main_pipeline}/statuses"))
    assert listed["_total_items"] == 5


def test_non_admin_may_not_write(client: TestClient, factory: Factory, setup: Setup):
    first = setup.account.stages["first"][1]
    denied = problem(403, "Access denied")
    url = setup.statuses_url
    assert_problem(send(client, "POST", setup.user, url, [{"name": "S", "sort": 1}]), denied)
    assert_problem(send(client, "PATCH", setup.user, f"{url}/{first}", {"name": "S"}), denied)
    assert_problem(send(client, "DELETE", setup.user, f"{url}/{first}"), denied)
    assert setup.listing(client)["_embedded"]["statuses"] == _initial(setup, factory)


# -- PATCH -----------------------------------------------------------------------------------


def _add_with_descriptions(client: TestClient, setup: Setup) -> dict[str, Any]:
    return ok(send(client, "POST", setup.admin, setup.statuses_url, [
        {"name": "Stage", "sort": 25, "descriptions": [
            {"level": "newbie", "description": "n"}, {"level": "candidate", "description": "c"},
            {"level": "master", "description": "m"},
        ]},
    ]))["_embedded"]["statuses"][0]  # fmt: skip


def test_patch_whole_answer_and_descriptions_replace(
    client: TestClient, factory: Factory, setup: Setup
):
    """The sent descriptions become the whole set: an entry with an id keeps that description
    (new text, maybe a new level), an id without text removes it, an entry without id is new,
    and a description not mentioned is removed."""
    account, main = setup.account, setup.main
    added = _add_with_descriptions(client, setup)
    sid = added["id"]
    newbie, candidate, master = (d["id"] for d in added["descriptions"])
    created = added["descriptions"][0]["created_at"]
    before = int(time.time())
    body = ok(send(client, "PATCH", setup.admin, f"{setup.statuses_url}/{sid}", {
        "name": "Renamed", "sort": 35, "color": "#98cbff", "request_id": "x",
        "descriptions": [
            {"id": candidate, "level": "newbie", "description": "c → n"},
            {"id": master, "level": "master"},
            {"level": "master", "description": "brand new"},
        ],
    }))  # fmt: skip
    after = int(time.time())
    assert list(body) == WRITTEN_STATUS_KEYS
    assert body["descriptions"][0]["id"] == candidate
    new_id = body["descriptions"][1]["id"]
    assert new_id not in (newbie, candidate, master)
    updated = body["descriptions"][0]["updated_at"]
    _stamp(before, after, updated)
    expected_descriptions = [
        _description(account, main, sid, candidate, "newbie", "c → n", created, updated),
        _description(account, main, sid, new_id, "master", "brand new", updated, updated),
    ]
    expected = status_object(account, main, sid, "Renamed", 35, editable=True, color="#98cbff")
    assert body == with_request_id(expected, "x", descriptions=expected_descriptions)
    assert ok(send(client, "GET", setup.user, f"{setup.statuses_url}/{sid}")) == expected
    assert ok(send(client, "GET", setup.user,
                   f"{setup.statuses_url}/{sid}?with=descriptions")) == _with_descriptions(
        expected, expected_descriptions
    )  # fmt: skip
    initial = _initial(setup, factory)
    assert setup.listing(client)["_embedded"]["statuses"] == [
        *initial[:3], _with_descriptions(expected, expected_descriptions), *initial[3:],
    ]  # fmt: skip


def test_patch_without_descriptions_keeps_them(client: TestClient, setup: Setup):
    added = _add_with_descriptions(client, setup)
    url = f"{setup.statuses_url}/{added['id']}"
    body = ok(send(client, "PATCH", setup.admin, url, {"name": "Only the name"}))
    assert body == {**added, "name": "Only the name", "request_id": "0"}
    body = ok(send(client, "PATCH", setup.admin, url, {"descriptions": []}))
    assert body == {**added, "name": "Only the name", "request_id": "0", "descriptions": []}


def test_patch_bad_fields(client: TestClient, factory: Factory, setup: Setup):
    added = _add_with_descriptions(client, setup)
    url = f"{setup.statuses_url}/{added['id']}"
    listing = setup.listing(client)
    newbie = added["descriptions"][0]["id"]
    foreign_description = _add_with_descriptions(client, setup)["descriptions"][0]["id"]
    listing = setup.listing(client)
    response = send(client, "PATCH", setup.admin, url, {
        "name": None, "sort": "1", "color": None,
        "descriptions": [
            {"id": newbie, "level": "newbie", "description": "a"},
            {"id": foreign_description, "level": "master", "description": "b"},
            {"id": None, "level": "candidate"},
            {"level": "candidate"},
            {"id": newbie, "level": "candidate", "description": "c"},
        ],
    })  # fmt: skip
    d = "descriptions"
    assert_problem(response, invalid(("0", [
        ("InvalidType", "color", TYPE.format("string")),
        ("InvalidType", "name", TYPE.format("string")),
        ("InvalidType", "sort", TYPE.format("int")),
        ("InvalidType", f"{d}.2.id", TYPE.format("int")),
        ("FieldMissing", f"{d}.3.description", MISSING),
    ])))  # fmt: skip
    # the ids are checked against the status's own descriptions, after the types
    response = send(client, "PATCH", setup.admin, url, {"descriptions": [
        {"id": newbie, "level": "newbie", "description": "a"},
        {"id": foreign_description, "level": "master", "description": "b"},
        {"id": newbie, "level": "candidate", "description": "c"},
        {"id": 999_999_999, "level": "master"},
    ]})  # fmt: skip
    assert_problem(response, invalid(("0", [
        ("NotSupportedChoice", f"{d}.1.id", NOT_A_CHOICE),
        ("InvalidValue", f"{d}.2.id", "Each description can be given only once."),
        ("NotSupportedChoice", f"{d}.3.id", NOT_A_CHOICE),
    ])))  # fmt: skip
    assert setup.listing(client) == listing


def test_patch_system_statuses_is_refused(client: TestClient, factory: Factory, setup: Setup):
    incoming = factory_statuses(setup.account, factory)[setup.main][0]["id"]
    for sid in (incoming, 142, 143):
        response = send(client, "PATCH", setup.admin, f"{setup.statuses_url}/{sid}",
                        {"name": "Mine"})  # fmt: skip
        assert_problem(response, invalid(("0", [("InvalidValue", "id", SYSTEM_EDIT)])))
    assert setup.listing(client)["_embedded"]["statuses"] == _initial(setup, factory)


def test_patch_unknown_status_or_pipeline(client: TestClient, factory: Factory, setup: Setup):
    other_first = setup.account.stages["other_first"][1]
    foreign = factory.account()
    for sid in (other_first, foreign.stages["first"][1], 999_999_999, 0, 2**63):
        response = send(client, "PATCH", setup.admin, f"{setup.statuses_url}/{sid}",
                        {"name": "X"})  # fmt: skip
        assert_problem(response, problem(404, "Status not found"))
    response = send(client, "PATCH", setup.admin,
                    f"{PIPELINES}/{foreign.main_pipeline}/statuses/{foreign.stages['first'][1]}",
                    {"name": "X"})  # fmt: skip
    assert_problem(response, problem(404, "Pipeline not found"))
    assert setup.listing(client)["_embedded"]["statuses"] == _initial(setup, factory)


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"", "Request data can not be empty"),
        (b"{}", "Request data can not be empty"),
        (b"{bad", "Request body is not valid JSON"),
        (b"[]", "Request data must be an object"),
    ],
)
def test_patch_bad_bodies(
    client: TestClient, factory: Factory, setup: Setup, raw: bytes, detail: str
):
    first = setup.account.stages["first"][1]
    response = send(client, "PATCH", setup.admin, f"{setup.statuses_url}/{first}", raw)
    assert_problem(response, problem(400, detail))
    assert setup.listing(client)["_embedded"]["statuses"] == _initial(setup, factory)


# -- DELETE ----------------------------------------------------------------------------------


def _lead(client: TestClient, token: str, lead_id: int) -> Any:
    return ok(client.get(f"/api/v4/leads/{lead_id}", headers=headers(token)))


def test_delete_moves_leads_to_the_first_regular_status(
    client: TestClient, factory: Factory, setup: Setup
):
    """The first regular stage by (sort, id): a stage added with the lowest sort wins over
    "First"; deleted leads move too; descriptions go with the status."""
    account, main = setup.account, setup.main
    added = _add_with_descriptions(client, setup)  # sort 25, after First (20)
    early = ok(send(client, "POST", setup.admin, setup.statuses_url,
                    [{"name": "Early", "sort": 15}]))["_embedded"]["statuses"][0]  # fmt: skip
    second = account.stages["second"][1]
    actor = factory.user(account, admin=True)
    token = factory.token(account, actor)
    moved = factory.lead(account, stage="second")
    gone = factory.lead(account, stage="second", is_deleted=True)
    staying = factory.lead(account, stage="first")
    in_added = factory.lead(account, pipeline_id=main, status_id=added["id"])
    before_lead = _lead(client, setup.admin, staying)
    now = int(time.time())

    response = send(client, "DELETE", token, f"{setup.statuses_url}/{second}")
    assert response.status_code == 204
    assert response.content == b""
    lead = _lead(client, setup.admin, moved)
    assert (lead["pipeline_id"], lead["status_id"], lead["updated_by"]) == (
        main, early["id"], actor,
    )  # fmt: skip
    assert lead["updated_at"] >= now
    rows = db_rows(factory, "SELECT status_id, updated_by, updated_at FROM leads WHERE id = :i",
                   i=gone)  # fmt: skip
    assert rows[0][:2] == (early["id"], actor) and rows[0][2] >= now
    assert _lead(client, setup.admin, staying) == before_lead

    # the status with descriptions: they go with it; its lead moves to "Early" as well
    response = send(client, "DELETE", token, f"{setup.statuses_url}/{added['id']}")
    assert response.status_code == 204
    assert _lead(client, setup.admin, in_added)["status_id"] == early["id"]
    assert db_rows(factory, "SELECT id FROM status_descriptions WHERE account_id = :a",
                   a=account.id) == []  # fmt: skip
    assert_problem(send(client, "GET", setup.admin, f"{setup.statuses_url}/{second}"),
                   problem(404, "Status not found"))  # fmt: skip
    initial = _initial(setup, factory)
    early_object = status_object(account, main, early["id"], "Early", 15, editable=True,
                                 color="#fffeb2")  # fmt: skip
    assert setup.listing(client)["_embedded"]["statuses"] == [
        initial[0], _with_descriptions(early_object, []), initial[1], *initial[3:],
    ]  # fmt: skip


def test_delete_refusals(client: TestClient, factory: Factory, setup: Setup):
    account = setup.account
    incoming = factory_statuses(account, factory)[setup.main][0]["id"]
    for sid in (incoming, 142, 143):
        assert_problem(send(client, "DELETE", setup.admin, f"{setup.statuses_url}/{sid}"),
                       problem(400, "System statuses cannot be deleted"))  # fmt: skip
    other, other_first = account.stages["other_first"]
    assert_problem(
        send(client, "DELETE", setup.admin, f"{PIPELINES}/{other}/statuses/{other_first}"),
        problem(400, "A pipeline must keep at least one regular status"),
    )
    foreign = factory.account()
    for sid in (other_first, foreign.stages["second"][1], 999_999_999, 0, 2**63):
        assert_problem(send(client, "DELETE", setup.admin, f"{setup.statuses_url}/{sid}"),
                       problem(404, "Status not found"))  # fmt: skip
    assert_problem(
        send(client, "DELETE", setup.admin,
             f"{PIPELINES}/{foreign.main_pipeline}/statuses/{foreign.stages['second'][1]}"),
        problem(404, "Pipeline not found"),
    )  # fmt: skip
    assert setup.listing(client)["_embedded"]["statuses"] == _initial(setup, factory)
    assert setup.listing(client, other)["_total_items"] == 4
