"""Bad input to the lead writes (issue 4): every kind gets Kommo's error body and
changes nothing; a batch with one bad item is refused whole; never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import (
    NOT_A_CHOICE,
    As,
    as_admin,
    assert_problem,
    not_a_choice,
    problem,
    validation_body,
)

EMPTY = problem(400, "Bad Request", "Request data can not be empty")
NOT_JSON = problem(400, "Bad Request", "Request body is not valid JSON")
TYPE = "InvalidType"


def _nothing_changed(api: As, before: dict[int, Any]) -> None:
    assert {i: api.lead(i) for i in api.lead_ids()} == before


@pytest.fixture
def api(client: TestClient, factory: Factory) -> As:
    api = as_admin(client, factory)
    api.add({"name": "existing"})
    return api


def _state(api: As) -> dict[int, Any]:
    return {i: api.lead(i) for i in api.lead_ids()}


@pytest.mark.parametrize(
    ("content", "body"),
    [
        (b"", EMPTY),
        (b"   \n", EMPTY),
        (b"null", EMPTY),
        (b"[]", EMPTY),
        (b"{", NOT_JSON),
        (b"[{'name': 1}]", NOT_JSON),
        (b"\xff\xfe[]", NOT_JSON),
        (b'"text"', problem(400, "Bad Request", "Request data must be an array of objects")),
        (b"42", problem(400, "Bad Request", "Request data must be an array of objects")),
    ],
)
@pytest.mark.parametrize("method", ["post", "patch", "complex"])
def test_bodies_that_are_not_batches(api: As, content: bytes, body: dict[str, Any], method: str):
    before = _state(api)
    if method == "complex":
        response = api.post("/api/v4/leads/complex", content=content)
    else:
        response = getattr(api, method)("/api/v4/leads", content=content)
    assert_problem(response, 400, body)
    _nothing_changed(api, before)


def test_single_edit_needs_an_object(api: As):
    (lead_id,) = api.lead_ids()
    assert_problem(api.patch(f"/api/v4/leads/{lead_id}", content=b"{}"), 400, EMPTY)
    assert_problem(
        api.patch(f"/api/v4/leads/{lead_id}", content=b"[{}]"),
        400,
        problem(400, "Bad Request", "Request data must be an object"),
    )


@pytest.mark.parametrize(("path", "limit"), [("/api/v4/leads", 250), ("/api/v4/leads/complex", 50)])
def test_oversized_batches(api: As, path: str, limit: int):
    before = _state(api)
    response = api.post(path, [{"name": "x"}] * (limit + 1))
    assert_problem(response, 422, problem(422, "Unprocessable Entity", f"Limit {limit} per page"))
    response = api.patch("/api/v4/leads", [{"id": 1}] * 251)
    assert_problem(response, 422, problem(422, "Unprocessable Entity", "Limit 250 per page"))
    _nothing_changed(api, before)


def test_wrong_types_all_reported(api: As):
    before = _state(api)
    response = api.post(
        "/api/v4/leads",
        [
            {"name": 5, "price": "10", "status_id": "1", "responsible_user_id": True},
            "just a string",
            {"created_at": -1, "tags_to_add": "hot", "custom_fields_values": {"a": 1},
             "_embedded": []},
            {"price": -1, "name": "x" * 256, "closed_at": 10**13,
             "_embedded": {"tags": [{"name": "  "}, {}], "contacts": [{"is_main": True}]}},
        ],
    )  # fmt: skip
    assert_problem(
        response,
        400,
        validation_body(
            (
                "0",
                [
                    (TYPE, "name", "This value should be of type string."),
                    (TYPE, "price", "This value should be of type int."),
                    (TYPE, "status_id", "This value should be of type int."),
                    (TYPE, "responsible_user_id", "This value should be of type int."),
                ],
            ),
            ("1", [(TYPE, "", "This value should be of type object.")]),
            (
                "2",
                [
                    (
                        "InvalidValue",
                        "created_at",
                        "This value should be between 0 and 253402300799.",
                    ),
                    (TYPE, "custom_fields_values", "This value should be of type array."),
                    (TYPE, "tags_to_add", "This value should be of type array."),
                    (TYPE, "_embedded", "This value should be of type object."),
                ],
            ),
            (
                "3",
                [
                    (
                        "InvalidValue",
                        "name",
                        "This value is too long. It should have 255 characters or less.",
                    ),
                    (
                        "InvalidValue",
                        "price",
                        "This value should be between 0 and 9007199254740992.",
                    ),
                    (
                        "InvalidValue",
                        "closed_at",
                        "This value should be between 0 and 253402300799.",
                    ),
                    ("InvalidValue", "_embedded.tags.0.name", "This value should not be blank."),
                    ("FieldMissing", "_embedded.tags.1.name", "This field is missing."),
                    ("FieldMissing", "_embedded.contacts.0.id", "This field is missing."),
                ],
            ),
        ),
    )
    _nothing_changed(api, before)


def test_unknown_and_foreign_ids(api: As, factory: Factory):
    """Ids of another account are unknown here: the same NotSupportedChoice as a made-up id."""
    other = factory.account()
    foreign_user = factory.user(other)
    foreign_contact = factory.party(other, "contacts", other.admin)
    foreign_company = factory.party(other, "companies", other.admin)
    foreign_tag = factory.tag(other, "theirs")
    foreign_lead = factory.lead(other)
    deleted_contact = factory.party(api.account, "contacts", api.user_id, deleted=True)
    before = _state(api)
    response = api.post(
        "/api/v4/leads",
        [
            {"responsible_user_id": foreign_user, "created_by": 999_999_999,
             "tags_to_add": [{"id": foreign_tag}],
             "_embedded": {"contacts": [{"id": foreign_contact}, {"id": deleted_contact}],
                           "companies": [{"id": foreign_company}],
                           "source": {"external_id": "nope"}}},
        ],
    )  # fmt: skip
    assert_problem(
        response,
        400,
        not_a_choice(
            "0",
            "responsible_user_id",
            "created_by",
            "_embedded.source.external_id",
            "tags_to_add.0.id",
            "_embedded.contacts.0.id",
            "_embedded.contacts.1.id",
            "_embedded.companies.0.id",
        ),
    )
    (mine,) = api.lead_ids()
    response = api.patch("/api/v4/leads", [{"id": mine, "name": "ok"}, {"id": foreign_lead}])
    assert_problem(response, 400, not_a_choice("1", "id"))
    response = api.patch(f"/api/v4/leads/{foreign_lead}", {"name": "mine now"})
    assert_problem(response, 400, not_a_choice("0", "id"))
    assert factory_lead_name(factory, foreign_lead) == f"Lead {foreign_lead}"
    _nothing_changed(api, before)


def factory_lead_name(factory: Factory, lead_id: int) -> str:
    import sqlalchemy as sa

    with factory.engine.begin() as conn:
        return str(
            conn.execute(sa.text("SELECT name FROM leads WHERE id = :i"), {"i": lead_id}).scalar()
        )


def test_one_bad_item_refuses_the_batch(api: As):
    before = _state(api)
    (existing,) = before
    good = [{"name": f"good {i}", "tags_to_add": [{"name": "brand-new-tag"}]} for i in range(5)]
    response = api.post("/api/v4/leads", [*good, {"status_id": 1}])
    assert_problem(response, 400, not_a_choice("5", "status_id"))
    response = api.patch("/api/v4/leads", [{"id": existing, "name": "changed"}, {"id": "x"}])
    assert_problem(
        response, 400, validation_body(("1", [(TYPE, "id", "This value should be of type int.")]))
    )
    _nothing_changed(api, before)
    tags = api.client.get("/api/v4/leads/tags?filter[name]=brand-new-tag", headers=api.headers)
    assert tags.status_code == 204


def test_patch_items_need_an_id(api: As):
    response = api.patch("/api/v4/leads", [{"name": "no id"}])
    assert_problem(
        response, 400, validation_body(("0", [("FieldMissing", "id", "This field is missing.")]))
    )


def test_a_lead_twice_in_one_edit(api: As):
    (lead_id,) = api.lead_ids()
    response = api.patch("/api/v4/leads", [{"id": lead_id}, {"id": lead_id, "name": "b"}])
    assert_problem(
        response,
        400,
        validation_body(
            ("1", [("InvalidValue", "id", "This lead is already edited by this batch.")])
        ),
    )


def test_text_that_cannot_be_stored(api: As):
    """NUL cannot be stored in PostgreSQL text; a lone surrogate is not even valid JSON text
    for the decoder (it has no UTF-8 form)."""
    before = _state(api)
    response = api.post("/api/v4/leads", content=b'[{}, {"name": "a\\u0000b"}]')
    detail = "This value contains characters not allowed."
    assert_problem(response, 400, validation_body(("1", [("InvalidValue", "name", detail)])))
    response = api.post("/api/v4/leads", content=b'[{"name": "\\ud800"}]')
    assert_problem(response, 400, NOT_JSON)
    _nothing_changed(api, before)


def test_unknown_tag_ids_on_edit(api: As):
    (lead_id,) = api.lead_ids()
    response = api.patch(
        f"/api/v4/leads/{lead_id}",
        {"tags_to_delete": [{"id": 999_999_999}], "_embedded": {"tags": [{"id": 1}]}},
    )
    assert_problem(response, 400, not_a_choice("0", "_embedded.tags.0.id", "tags_to_delete.0.id"))


def test_authentication_comes_before_the_body(client: TestClient):
    response = client.post("/api/v4/leads", content=b"{")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid user name or password"


def test_huge_ids_are_unknown_not_errors(api: As):
    response = api.post("/api/v4/leads", [{"status_id": 2**70, "pipeline_id": 0}])
    assert_problem(response, 400, not_a_choice("0", "status_id", "pipeline_id"))
    assert NOT_A_CHOICE
