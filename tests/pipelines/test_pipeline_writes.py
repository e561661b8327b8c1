"""POST /api/v4/leads/pipelines, PATCH and DELETE /api/v4/leads/pipelines/{id} (Kommo's API,
): admins only, whole answers read back through the GETs; every bad input answers
its exact problem and changes nothing; a batch is all or nothing; exactly one main pipeline."""

from __future__ import annotations

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
    PIPELINE_KEYS,
    PIPELINES,
    SORT_RANGE,
    STATUS_KEYS,
    TOO_LONG,
    TYPE,
    WRITTEN_PIPELINE_KEYS,
    assert_problem,
    factory_statuses,
    invalid,
    list_pipelines,
    ok,
    pipeline_object,
    problem,
    send,
    status_object,
    system_statuses,
    with_request_id,
)

ONE_MAIN = "Only one pipeline can be the main one."
KEEP_MAIN = "There must be one main pipeline: make another pipeline the main one instead."
MAIN_ARCHIVED = "The main pipeline cannot be archived."


@dataclass
class Setup:
    account: Account
    admin: str
    user: str
    """a non-admin user's token (who may read but not write)"""
    before: Any
    """the GET list answer before any write"""

    def sales(self, factory: Factory, **changes: Any) -> dict[str, Any]:
        p = self.account.main_pipeline
        kw: dict[str, Any] = {"main": True, "unsorted": True, "archived": False} | changes
        return pipeline_object(
            self.account, p, kw.pop("name", "Sales"), kw.pop("sort", 1),
            statuses=factory_statuses(self.account, factory)[p], **kw,
        )  # fmt: skip

    def other(self, factory: Factory, **changes: Any) -> dict[str, Any]:
        p = self.account.other_pipeline
        kw: dict[str, Any] = {"main": False, "unsorted": True, "archived": False} | changes
        return pipeline_object(
            self.account, p, kw.pop("name", "Other"), kw.pop("sort", 2),
            statuses=factory_statuses(self.account, factory)[p], **kw,
        )  # fmt: skip


@pytest.fixture
def setup(client: TestClient, factory: Factory) -> Setup:
    account = factory.account()
    admin = factory.token(account, account.admin)
    return Setup(
        account=account,
        admin=admin,
        user=factory.token(account, factory.user(account, view="A")),
        before=list_pipelines(client, admin),
    )


def _unchanged(client: TestClient, setup: Setup) -> None:
    assert list_pipelines(client, setup.admin) == setup.before


def test_factory_state_is_what_the_tests_expect(client: TestClient, factory: Factory, setup: Setup):
    assert setup.before == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}{PIPELINES}"}},
        "_embedded": {"pipelines": [setup.sales(factory), setup.other(factory)]},
    }


# -- POST ------------------------------------------------------------------------------------


def test_add_whole_answer_and_read_back(client: TestClient, factory: Factory, setup: Setup):
    """System statuses are added to each pipeline, 142/143 entries rename them, colours are
    matched case-insensitively; request_id is echoed after the scalars, its index when absent;
    the new main pipeline demotes the old one."""
    account = setup.account
    response = send(client, "POST", setup.admin, PIPELINES, [
        {"name": "Upsell ✓", "sort": 20, "is_main": False, "is_unsorted_on": True,
         "request_id": "up", "unknown_key": 1,
         "_embedded": {"statuses": [
             {"id": 142, "name": "Paid"},
             {"name": "Call", "sort": 30, "color": "#C1E0FF"},
             {"name": "Offer", "sort": 20},
         ]}},
        {"name": "Partners", "sort": 5, "is_main": True, "is_unsorted_on": False,
         "is_archive": False},
    ])  # fmt: skip
    body = ok(response)
    assert list(body) == ["_total_items", "_links", "_embedded"]
    created = body["_embedded"]["pipelines"]
    for item in created:
        assert list(item) == WRITTEN_PIPELINE_KEYS
        for s in item["_embedded"]["statuses"]:
            assert list(s) == STATUS_KEYS
    up, partners = created[0]["id"], created[1]["id"]
    incoming_up, call, offer = (created[0]["_embedded"]["statuses"][i]["id"] for i in (0, 2, 1))
    incoming_partners = created[1]["_embedded"]["statuses"][0]["id"]
    # the incoming status is allocated first, then the regular ones in the order sent
    assert incoming_up < call < offer
    assert len({up, partners}) == 2 and len({incoming_up, call, offer, incoming_partners}) == 4
    in_up, won_up, lost_up = system_statuses(account, up, incoming_up, won="Paid")
    up_object = pipeline_object(
        account, up, "Upsell ✓", 20, main=False, unsorted=True, archived=False,
        statuses=[
            in_up,
            status_object(account, up, offer, "Offer", 20, editable=True, color="#fffeb2"),
            status_object(account, up, call, "Call", 30, editable=True, color="#c1e0ff"),
            won_up, lost_up,
        ],
    )  # fmt: skip
    partners_object = pipeline_object(
        account, partners, "Partners", 5, main=True, unsorted=False, archived=False,
        statuses=list(system_statuses(account, partners, incoming_partners)),
    )  # fmt: skip
    assert body == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}{PIPELINES}"}},
        "_embedded": {"pipelines": [
            with_request_id(up_object, "up"), with_request_id(partners_object, "1"),
        ]},
    }  # fmt: skip

    listed = list_pipelines(client, setup.admin)
    assert listed == {
        "_total_items": 4,
        "_links": {"self": {"href": f"{ORIGIN}{PIPELINES}"}},
        "_embedded": {"pipelines": [
            setup.sales(factory, main=False), setup.other(factory), partners_object, up_object,
        ]},
    }  # fmt: skip
    for item in listed["_embedded"]["pipelines"]:
        assert list(item) == PIPELINE_KEYS
    assert ok(send(client, "GET", setup.user, f"{PIPELINES}/{up}")) == up_object
    statuses = ok(send(client, "GET", setup.user, f"{PIPELINES}/{up}/statuses"))
    assert statuses["_embedded"]["statuses"] == up_object["_embedded"]["statuses"]


def test_add_one_object_and_numeric_request_id(client: TestClient, factory: Factory, setup: Setup):
    """A lone object is a batch of one; a numeric request_id is echoed as a string; an archived
    pipeline that is not main is fine; the old main pipeline stays main."""
    body = ok(send(client, "POST", setup.admin, PIPELINES, {
        "name": "Old deals", "sort": 0, "is_main": False, "is_unsorted_on": False,
        "is_archive": True, "request_id": 7, "_embedded": None,
    }))  # fmt: skip
    (item,) = body["_embedded"]["pipelines"]
    incoming = item["_embedded"]["statuses"][0]["id"]
    expected = pipeline_object(
        setup.account, item["id"], "Old deals", 0, main=False, unsorted=False, archived=True,
        statuses=list(system_statuses(setup.account, item["id"], incoming)),
    )  # fmt: skip
    assert item == with_request_id(expected, "7")
    assert list_pipelines(client, setup.admin)["_embedded"]["pipelines"] == [
        expected, setup.sales(factory), setup.other(factory),
    ]  # fmt: skip


def test_add_every_field_mistake_in_one_answer(client: TestClient, setup: Setup):
    response = send(client, "POST", setup.admin, PIPELINES, [
        {"request_id": "empty"},
        {"name": 5, "sort": "1", "is_main": "yes", "is_unsorted_on": None, "is_archive": 1,
         "_embedded": []},
        {"name": "x" * 256, "sort": -1, "is_main": False, "is_unsorted_on": True,
         "_embedded": {"statuses": [
             {"name": "Bad colour", "sort": 10, "color": "#123456"},
             {"color": 5},
             {"id": 999, "name": "Not a system status"},
             {"id": "142"},
             "not an object",
             {"name": "  ", "sort": 2**31},
         ]}},
        "not an object",
        {"name": None, "sort": None, "is_main": None, "is_unsorted_on": True,
         "_embedded": {"statuses": {"name": "not a list"}}},
    ])  # fmt: skip
    s = "_embedded.statuses"
    assert_problem(response, invalid(
        ("empty", [("FieldMissing", "name", MISSING), ("FieldMissing", "sort", MISSING),
                   ("FieldMissing", "is_main", MISSING),
                   ("FieldMissing", "is_unsorted_on", MISSING)]),
        ("1", [("InvalidType", "name", TYPE.format("string")),
               ("InvalidType", "sort", TYPE.format("int")),
               ("InvalidType", "is_main", TYPE.format("bool")),
               ("InvalidType", "is_unsorted_on", TYPE.format("bool")),
               ("InvalidType", "is_archive", TYPE.format("bool")),
               ("InvalidType", "_embedded", TYPE.format("object"))]),
        # an entry that is not an object is reported first (while the list is taken apart)
        ("2", [("InvalidValue", "name", TOO_LONG), ("InvalidValue", "sort", SORT_RANGE),
               ("InvalidType", f"{s}.4", TYPE.format("object")),
               ("NotSupportedChoice", f"{s}.0.color", NOT_A_CHOICE),
               ("FieldMissing", f"{s}.1.name", MISSING), ("FieldMissing", f"{s}.1.sort", MISSING),
               ("InvalidType", f"{s}.1.color", TYPE.format("string")),
               ("NotSupportedChoice", f"{s}.2.id", NOT_A_CHOICE),
               ("InvalidType", f"{s}.3.id", TYPE.format("int")),
               ("InvalidValue", f"{s}.5.name", BLANK),
               ("InvalidValue", f"{s}.5.sort", SORT_RANGE)]),
        ("3", [("InvalidType", "", TYPE.format("object"))]),
        ("4", [("InvalidType", "name", TYPE.format("string")),
               ("InvalidType", "sort", TYPE.format("int")),
               ("InvalidType", "is_main", TYPE.format("bool")),
               ("InvalidType", f"{s}", TYPE.format("array"))]),
    ))  # fmt: skip
    _unchanged(client, setup)


def test_add_is_all_or_nothing(client: TestClient, setup: Setup):
    good = {"name": "Good", "sort": 1, "is_main": False, "is_unsorted_on": True}
    response = send(client, "POST", setup.admin, PIPELINES, [good, {**good, "sort": "x"}])
    assert_problem(response, invalid(("1", [("InvalidType", "sort", TYPE.format("int"))])))
    _unchanged(client, setup)


def test_add_two_main_pipelines_is_refused_on_the_second(client: TestClient, setup: Setup):
    item = {"name": "P", "sort": 1, "is_main": True, "is_unsorted_on": True}
    response = send(client, "POST", setup.admin, PIPELINES, [
        {**item, "is_main": False}, item, {**item, "request_id": "again"},
    ])  # fmt: skip
    assert_problem(response, invalid(
        ("again", [("InvalidValue", "is_main", ONE_MAIN)]),
    ))  # fmt: skip
    _unchanged(client, setup)


def test_add_main_and_archived_is_refused(client: TestClient, setup: Setup):
    item = {"name": "P", "sort": 1, "is_main": True, "is_unsorted_on": True, "is_archive": True}
    response = send(client, "POST", setup.admin, PIPELINES, [item])
    assert_problem(response, invalid(("0", [("InvalidValue", "is_archive", MAIN_ARCHIVED)])))
    _unchanged(client, setup)


def test_account_holds_at_most_50_pipelines(client: TestClient, factory: Factory, setup: Setup):
    """The account has 2: 49 more would make 51, so the 49th item is refused (and with it the
    batch); 48 more are accepted, and then one more is refused."""
    item = {"name": "P", "sort": 1, "is_main": False, "is_unsorted_on": True}
    response = send(client, "POST", setup.admin, PIPELINES, [item] * 49)
    detail = "An account can have at most 50 pipelines."
    assert_problem(response, invalid(("48", [("InvalidValue", "", detail)])))
    _unchanged(client, setup)
    body = ok(send(client, "POST", setup.admin, PIPELINES, [item] * 48))
    assert body["_total_items"] == 48
    assert list_pipelines(client, setup.admin)["_total_items"] == 50
    response = send(client, "POST", setup.admin, PIPELINES, [{**item, "request_id": "last"}])
    assert_problem(response, invalid(("last", [("InvalidValue", "", detail)])))
    assert list_pipelines(client, setup.admin)["_total_items"] == 50


def test_pipeline_holds_at_most_100_statuses(client: TestClient, setup: Setup):
    """Three system statuses plus 97 regular ones fit; 98 do not."""
    statuses = [{"name": f"S{i}", "sort": i} for i in range(98)]
    item = {"name": "Big", "sort": 1, "is_main": False, "is_unsorted_on": True}
    response = send(client, "POST", setup.admin, PIPELINES,
                    [{**item, "_embedded": {"statuses": statuses}}])  # fmt: skip
    detail = "A pipeline can have at most 100 statuses, the system ones included."
    assert_problem(response, invalid(("0", [("InvalidValue", "_embedded.statuses", detail)])))
    _unchanged(client, setup)
    body = ok(send(client, "POST", setup.admin, PIPELINES,
                   [{**item, "_embedded": {"statuses": statuses[:97]}}]))  # fmt: skip
    assert len(body["_embedded"]["pipelines"][0]["_embedded"]["statuses"]) == 100


@pytest.mark.parametrize(
    ("raw", "status", "detail"),
    [
        (b"", 400, "Request data can not be empty"),
        (b"[]", 400, "Request data can not be empty"),
        (b"null", 400, "Request data can not be empty"),
        (b"{not json", 400, "Request body is not valid JSON"),
        (b'"text"', 400, "Request data must be an array of objects"),
    ],
)
def test_add_bad_bodies(client: TestClient, setup: Setup, raw: bytes, status: int, detail: str):
    assert_problem(send(client, "POST", setup.admin, PIPELINES, raw), problem(status, detail))
    _unchanged(client, setup)


def test_add_51_items_is_422(client: TestClient, setup: Setup):
    item = {"name": "P", "sort": 1, "is_main": False, "is_unsorted_on": True}
    response = send(client, "POST", setup.admin, PIPELINES, [item] * 51)
    assert_problem(response, problem(422, "Limit 50 per page"))
    _unchanged(client, setup)


def test_non_admin_may_not_write(client: TestClient, factory: Factory, setup: Setup):
    item = {"name": "P", "sort": 1, "is_main": False, "is_unsorted_on": True}
    other = setup.account.other_pipeline
    denied = problem(403, "Access denied")
    assert_problem(send(client, "POST", setup.user, PIPELINES, [item]), denied)
    assert_problem(send(client, "PATCH", setup.user, f"{PIPELINES}/{other}", {"name": "X"}), denied)
    assert_problem(send(client, "DELETE", setup.user, f"{PIPELINES}/{other}"), denied)
    # refused before the body is read: a bad body is still 403
    assert_problem(send(client, "POST", setup.user, PIPELINES, b"{bad"), denied)
    _unchanged(client, setup)


# -- PATCH -----------------------------------------------------------------------------------


def test_patch_whole_answer_and_read_back(client: TestClient, factory: Factory, setup: Setup):
    """Every field changes; is_main true demotes the old main; the answer is the pipeline as
    GET shows it plus request_id ("0" when absent), as Kommo's PATCH example shows it."""
    other = setup.account.other_pipeline
    body = ok(send(client, "PATCH", setup.admin, f"{PIPELINES}/{other}", {
        "name": "Renamed", "sort": 0, "is_main": True, "is_unsorted_on": False,
        "is_archive": False, "ignored": [1],
    }))  # fmt: skip
    expected = setup.other(factory, name="Renamed", sort=0, main=True, unsorted=False)
    assert body == with_request_id(expected, "0")
    assert list(body) == WRITTEN_PIPELINE_KEYS
    assert list_pipelines(client, setup.admin)["_embedded"]["pipelines"] == [
        expected, setup.sales(factory, main=False),
    ]  # fmt: skip
    assert ok(send(client, "GET", setup.user, f"{PIPELINES}/{other}")) == expected


def test_patch_one_field_keeps_the_others(client: TestClient, factory: Factory, setup: Setup):
    main = setup.account.main_pipeline
    body = ok(send(client, "PATCH", setup.admin, f"{PIPELINES}/{main}",
                   {"name": "Sales 2", "is_main": True, "request_id": "r"}))  # fmt: skip
    assert body == with_request_id(setup.sales(factory, name="Sales 2"), "r")
    other = setup.account.other_pipeline
    body = ok(send(client, "PATCH", setup.admin, f"{PIPELINES}/{other}", {"is_archive": True}))
    assert body == with_request_id(setup.other(factory, archived=True), "0")
    assert list_pipelines(client, setup.admin)["_embedded"]["pipelines"] == [
        setup.sales(factory, name="Sales 2"), setup.other(factory, archived=True),
    ]  # fmt: skip


def test_patch_main_false_on_the_main_pipeline_is_refused(client: TestClient, setup: Setup):
    main = setup.account.main_pipeline
    response = send(client, "PATCH", setup.admin, f"{PIPELINES}/{main}", {"is_main": False})
    assert_problem(response, invalid(("0", [("InvalidValue", "is_main", KEEP_MAIN)])))
    response = send(client, "PATCH", setup.admin, f"{PIPELINES}/{main}", {"is_archive": True})
    assert_problem(response, invalid(("0", [("InvalidValue", "is_archive", MAIN_ARCHIVED)])))
    _unchanged(client, setup)


def test_patch_archived_pipeline_cannot_become_main(client: TestClient, setup: Setup):
    other = f"{PIPELINES}/{setup.account.other_pipeline}"
    ok(send(client, "PATCH", setup.admin, other, {"is_archive": True}))
    before = list_pipelines(client, setup.admin)
    response = send(client, "PATCH", setup.admin, other, {"is_main": True})
    assert_problem(response, invalid(("0", [("InvalidValue", "is_archive", MAIN_ARCHIVED)])))
    assert list_pipelines(client, setup.admin) == before
    # both at once is fine
    body = ok(send(client, "PATCH", setup.admin, other, {"is_main": True, "is_archive": False}))
    assert (body["is_main"], body["is_archive"]) == (True, False)


def test_patch_bad_fields(client: TestClient, setup: Setup):
    other = setup.account.other_pipeline
    response = send(client, "PATCH", setup.admin, f"{PIPELINES}/{other}", {
        "name": "", "sort": None, "is_main": 1, "is_unsorted_on": "true", "is_archive": None,
        "request_id": "p",
    })  # fmt: skip
    assert_problem(response, invalid(("p", [
        ("InvalidValue", "name", BLANK), ("InvalidType", "sort", TYPE.format("int")),
        ("InvalidType", "is_main", TYPE.format("bool")),
        ("InvalidType", "is_unsorted_on", TYPE.format("bool")),
        ("InvalidType", "is_archive", TYPE.format("bool")),
    ])))  # fmt: skip
    _unchanged(client, setup)


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"", "Request data can not be empty"),
        (b"{}", "Request data can not be empty"),
        (b"{bad", "Request body is not valid JSON"),
        (b'[{"name": "X"}]', "Request data must be an object"),
    ],
)
def test_patch_bad_bodies(client: TestClient, setup: Setup, raw: bytes, detail: str):
    path = f"{PIPELINES}/{setup.account.other_pipeline}"
    assert_problem(send(client, "PATCH", setup.admin, path, raw), problem(400, detail))
    _unchanged(client, setup)


def test_patch_unknown_or_foreign_pipeline_is_404(
    client: TestClient, factory: Factory, setup: Setup
):
    foreign = factory.account()
    for pipeline_id in (foreign.main_pipeline, 999_999_999, 0, 2**63):
        response = send(client, "PATCH", setup.admin, f"{PIPELINES}/{pipeline_id}", {"name": "X"})
        assert_problem(response, problem(404, "Pipeline not found"))
    _unchanged(client, setup)
    foreign_token = factory.token(foreign, foreign.admin)
    assert (
        ok(send(client, "GET", foreign_token, f"{PIPELINES}/{foreign.main_pipeline}"))["name"]
        == "Sales"
    )


# -- DELETE ----------------------------------------------------------------------------------


def test_delete_pipeline(client: TestClient, factory: Factory, setup: Setup):
    created = ok(send(client, "POST", setup.admin, PIPELINES, [
        {"name": "Temp", "sort": 9, "is_main": False, "is_unsorted_on": True,
         "_embedded": {"statuses": [{"name": "A", "sort": 20}]}},
    ]))["_embedded"]["pipelines"][0]  # fmt: skip
    path = f"{PIPELINES}/{created['id']}"
    response = send(client, "DELETE", setup.admin, path)
    assert response.status_code == 204
    assert response.content == b""
    _unchanged(client, setup)
    assert_problem(send(client, "GET", setup.admin, path), problem(404, "Pipeline not found"))
    assert_problem(send(client, "GET", setup.admin, f"{path}/statuses"),
                   problem(404, "Pipeline not found"))  # fmt: skip
    assert_problem(send(client, "DELETE", setup.admin, path), problem(404, "Pipeline not found"))


def test_delete_refusals(client: TestClient, factory: Factory, setup: Setup):
    account = setup.account
    main, other = account.main_pipeline, account.other_pipeline
    assert_problem(send(client, "DELETE", setup.admin, f"{PIPELINES}/{main}"),
                   problem(400, "The main pipeline cannot be deleted"))  # fmt: skip
    # a deleted lead still references its pipeline
    lead = factory.lead(account, stage="other_first", is_deleted=True)
    assert_problem(send(client, "DELETE", setup.admin, f"{PIPELINES}/{other}"),
                   problem(400, "The pipeline has leads and cannot be deleted"))  # fmt: skip
    factory.execute("DELETE FROM leads WHERE id = :id", id=lead)
    factory.execute(
        "UPDATE sources SET pipeline_id = :p WHERE id = :id",
        p=other, id=factory.source(account),
    )  # fmt: skip
    used = problem(400, "The pipeline is used by a source and cannot be deleted")
    assert_problem(send(client, "DELETE", setup.admin, f"{PIPELINES}/{other}"), used)
    _unchanged(client, setup)


def test_delete_last_pipeline_is_refused(client: TestClient, factory: Factory, setup: Setup):
    main, other = setup.account.main_pipeline, setup.account.other_pipeline
    assert send(client, "DELETE", setup.admin, f"{PIPELINES}/{other}").status_code == 204
    assert_problem(send(client, "DELETE", setup.admin, f"{PIPELINES}/{main}"),
                   problem(400, "The last pipeline of the account cannot be deleted"))  # fmt: skip
    assert list_pipelines(client, setup.admin)["_embedded"]["pipelines"] == [setup.sales(factory)]


def test_delete_unknown_or_foreign_pipeline_is_404(
    client: TestClient, factory: Factory, setup: Setup
):
    foreign = factory.account()
    for pipeline_id in (foreign.other_pipeline, 999_999_999, 0, 2**63):
        response = send(client, "DELETE", setup.admin, f"{PIPELINES}/{pipeline_id}")
        assert_problem(response, problem(404, "Pipeline not found"))
    _unchanged(client, setup)
    foreign_token = factory.token(foreign, foreign.admin)
    assert list_pipelines(client, foreign_token)["_total_items"] == 2


def test_first_pipeline_of_an_account_without_any_is_main(
    client: TestClient, factory: Factory, setup: Setup
):
    account = setup.account
    factory.execute("DELETE FROM statuses WHERE account_id = :a", a=account.id)
    factory.execute("DELETE FROM pipelines WHERE account_id = :a", a=account.id)
    assert list_pipelines(client, setup.admin) is None
    item = {"name": "P", "sort": 1, "is_main": False, "is_unsorted_on": True}
    body = ok(send(client, "POST", setup.admin, PIPELINES, [item, {**item, "name": "Q"}]))
    assert [(p["name"], p["is_main"]) for p in body["_embedded"]["pipelines"]] == [
        ("P", True), ("Q", False),
    ]  # fmt: skip
    listed = list_pipelines(client, setup.admin)["_embedded"]["pipelines"]
    assert [(p["name"], p["is_main"]) for p in listed] == [("P", True), ("Q", False)]


def test_batch_edits_of_pipelines_and_stages_are_not_kommos(
    client: TestClient, factory: Factory, setup: Setup
):
    """Kommo edits a pipeline or a stage only by its id: the collection PATCHes are 405 (the
    PHP SDK's ``Pipelines::update()`` and ``Statuses::update()`` refuse before sending), and
    nothing changes."""
    other = setup.account.other_pipeline
    stage = setup.account.stages["second"][1]
    refused = problem(405, "Method Not Allowed")
    batch = [{"id": other, "name": "Renamed", "request_id": "r"}]
    assert_problem(send(client, "PATCH", setup.admin, PIPELINES, batch), refused)
    stages = [{"id": stage, "name": "Renamed"}]
    assert_problem(
        send(client, "PATCH", setup.admin, f"{PIPELINES}/{other}/statuses", stages), refused
    )
    _unchanged(client, setup)
