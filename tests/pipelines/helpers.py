"""Pipeline rows the shared factory does not write: extra pipelines, statuses, descriptions."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.db import schema
from tests.factories import NOW, Account, Factory


def pipeline(factory: Factory, account: Account, name: str, sort: int, archived: bool) -> int:
    pipeline_id = factory.id("pipelines")
    factory._insert(
        schema.pipelines,
        [{"account_id": account.id, "id": pipeline_id, "name": name, "sort": sort,
          "is_main": False, "is_unsorted_on": False, "is_archive": archived,
          "created_at": NOW, "updated_at": NOW}],
    )  # fmt: skip
    return pipeline_id


def status(
    factory: Factory, account: Account, pipeline_id: int, name: str, sort: int, color: str
) -> int:
    status_id = factory.id("statuses")
    factory._insert(
        schema.statuses,
        [{"account_id": account.id, "pipeline_id": pipeline_id, "id": status_id, "name": name,
          "sort": sort, "is_editable": True, "color": color, "type": 0}],
    )  # fmt: skip
    return status_id


def description(
    factory: Factory,
    account: Account,
    pipeline_id: int,
    status_id: int,
    level: str,
    text: str,
    created_at: int,
    updated_at: int,
) -> int:
    description_id = factory.id("status_descriptions")
    factory._insert(
        schema.status_descriptions,
        [{"account_id": account.id, "id": description_id, "pipeline_id": pipeline_id,
          "status_id": status_id, "level": level, "description": text,
          "created_at": created_at, "updated_at": updated_at}],
    )  # fmt: skip
    return description_id


# -- shared by the write tests ---------------------------------------------------------------

ORIGIN = "http://testserver"
PIPELINES = "/api/v4/leads/pipelines"
PIPELINE_KEYS = [
    "id", "name", "sort", "is_main", "is_unsorted_on", "is_archive", "account_id", "_links",
    "_embedded",
]  # fmt: skip
WRITTEN_PIPELINE_KEYS = [
    "id", "name", "sort", "is_main", "is_unsorted_on", "is_archive", "account_id", "request_id",
    "_links", "_embedded",
]  # fmt: skip
STATUS_KEYS = [
    "id", "name", "sort", "is_editable", "pipeline_id", "color", "type", "account_id", "_links",
]  # fmt: skip
WRITTEN_STATUS_KEYS = [
    "id", "name", "sort", "is_editable", "pipeline_id", "color", "type", "account_id",
    "request_id", "descriptions", "_links",
]  # fmt: skip
MISSING = "This field is missing."
NOT_A_CHOICE = "The value you selected is not a valid choice."
TYPE = "This value should be of type {}."
BLANK = "This value should not be blank."
TOO_LONG = "This value is too long. It should have 255 characters or less."
SORT_RANGE = f"This value should be between 0 and {2**31 - 1}."


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def send(client: TestClient, method: str, token: str, path: str, body: Any = None) -> Any:
    """A request with a JSON body (bytes are sent as they are; None sends no body)."""
    if body is None:
        raw = b""
    elif isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body).encode()
    return client.request(method, path, content=raw, headers=headers(token))


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/hal+json"
    return response.json()


def problem(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    titles = {400: "Bad Request", 403: "Forbidden", 404: "Not Found",
              405: "Method Not Allowed", 422: "Unprocessable Entity"}  # fmt: skip
    body: dict[str, Any] = dict(extra)
    body |= {"title": titles[status], "type": f"https://httpstatus.es/{status}",
             "status": status, "detail": detail}  # fmt: skip
    return body


def invalid(*items: tuple[str, list[tuple[str, str, str]]]) -> dict[str, Any]:
    """The body for ``(request_id, [(code, path, detail), ...])`` entries."""
    entries = [
        {"request_id": rid, "errors": [{"code": c, "path": p, "detail": d} for c, p, d in errs]}
        for rid, errs in items
    ]
    return problem(400, "Request validation failed", **{"validation-errors": entries})


def assert_problem(response: Any, expected: dict[str, Any]) -> None:
    assert response.status_code == expected["status"], response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == expected, response.json()
    assert list(response.json()) == list(expected)


def status_object(
    account: Account, pipeline_id: int, status_id: int, name: str, sort: int, *,
    editable: bool, color: str, type_: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """A status as GET shows it without ``with``."""
    return {
        "id": status_id, "name": name, "sort": sort, "is_editable": editable,
        "pipeline_id": pipeline_id, "color": color, "type": type_, "account_id": account.id,
        "_links": {"self": {"href":
            f"{ORIGIN}{PIPELINES}/{pipeline_id}/statuses/{status_id}"}},
    }  # fmt: skip


def pipeline_object(
    account: Account, pipeline_id: int, name: str, sort: int, *, main: bool, unsorted: bool,
    archived: bool, statuses: list[dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    """A pipeline as GET shows it."""
    return {
        "id": pipeline_id, "name": name, "sort": sort, "is_main": main,
        "is_unsorted_on": unsorted, "is_archive": archived, "account_id": account.id,
        "_links": {"self": {"href": f"{ORIGIN}{PIPELINES}/{pipeline_id}"}},
        "_embedded": {"statuses": statuses},
    }  # fmt: skip


def with_request_id(item: dict[str, Any], request_id: str, **extra: Any) -> dict[str, Any]:
    """``item`` with ``request_id`` (and ``extra``) inserted before ``_links``."""
    body: dict[str, Any] = {}
    for key, value in item.items():
        if key == "_links":
            body["request_id"] = request_id
            body |= extra
        body[key] = value
    return body


def system_statuses(
    account: Account, pipeline_id: int, incoming_id: int, won: str = "Closed - won",
    lost: str = "Closed - lost",
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:  # fmt: skip
    """The incoming, won and lost statuses a new pipeline gets."""
    return (
        status_object(account, pipeline_id, incoming_id, "Incoming leads", 10, editable=False,
                      color="#c1c1c1", type_=1),
        status_object(account, pipeline_id, 142, won, 10000, editable=False, color="#CCFF66"),
        status_object(account, pipeline_id, 143, lost, 11000, editable=False, color="#D5D8DB"),
    )  # fmt: skip


def factory_statuses(account: Account, factory: Factory) -> dict[int, list[dict[str, Any]]]:
    """The statuses the shared factory gives an account, per pipeline, by sort."""
    main, other = account.main_pipeline, account.other_pipeline
    with factory.engine.begin() as conn:
        rows = conn.execute(
            sa.text("SELECT pipeline_id, id FROM statuses WHERE account_id = :a AND type = 1"),
            {"a": account.id},
        ).all()
    incoming = {p: s for p, s in rows}
    first, second = account.stages["first"][1], account.stages["second"][1]
    other_first = account.stages["other_first"][1]

    def st(p: int, s: int, n: str, o: int, e: bool, t: int = 0) -> dict[str, Any]:
        return status_object(account, p, s, n, o, editable=e, color="#fffeb2", type_=t)

    return {
        main: [st(main, incoming[main], "Incoming", 10, False, 1),
               st(main, first, "First", 20, True), st(main, second, "Second", 30, True),
               st(main, 142, "Won", 10000, False), st(main, 143, "Lost", 11000, False)],
        other: [st(other, incoming.get(other, 0), "Incoming", 10, False, 1),
                st(other, other_first, "First", 20, True), st(other, 142, "Won", 10000, False),
                st(other, 143, "Lost", 11000, False)],
    }  # fmt: skip


def list_pipelines(client: TestClient, token: str) -> Any:
    """The whole GET list answer (None for a 204)."""
    response = client.get(PIPELINES, headers=headers(token))
    if response.status_code == 204:
        return None
    return ok(response)


def db_rows(factory: Factory, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    with factory.engine.begin() as conn:
        return [tuple(r) for r in conn.execute(sa.text(statement), params).all()]
