"""GET /api/v4/leads/pipelines[/{id}] and their statuses: whole answers compared with the
spec's shapes, including key order, ``with=descriptions`` and the 404 rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.factories import LOST, WON, Account, Factory
from tests.pipelines.helpers import description, pipeline, status

ORIGIN = "http://testserver"
PIPELINE_KEYS = [
    "id", "name", "sort", "is_main", "is_unsorted_on", "is_archive", "account_id", "_links",
    "_embedded",
]  # fmt: skip
STATUS_KEYS = [
    "id", "name", "sort", "is_editable", "pipeline_id", "color", "type", "account_id",
    "descriptions", "_links",
]  # fmt: skip
DESCRIPTION_KEYS = [
    "id", "account_id", "created_at", "updated_at", "created_by", "updated_by", "pipeline_id",
    "status_id", "level", "description",
]  # fmt: skip
T1, T2 = 1700000000, 1717245296  # 2023-11-14 22:13:20 and 2024-06-01 12:34:56 UTC


@dataclass
class Pipelines:
    account: Account
    token: str
    user_token: str
    pipelines: list[dict[str, Any]]
    """Expected pipeline objects (without ``_embedded``) in Kommo's order."""
    statuses: dict[int, list[dict[str, Any]]]
    """pipeline id -> expected status objects (without descriptions) by sort."""
    descriptions: dict[tuple[int, int], list[dict[str, Any]]]
    """(pipeline id, status id) -> expected descriptions."""
    empty_pipeline: int


def _status(
    account: Account, pipeline_id: int, status_id: int, name: str, sort: int, *,
    editable: bool, color: str = "#fffeb2", type_: int = 0,
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": status_id, "name": name, "sort": sort, "is_editable": editable,
        "pipeline_id": pipeline_id, "color": color, "type": type_, "account_id": account.id,
        "_links": {"self": {"href":
            f"{ORIGIN}/api/v4/leads/pipelines/{pipeline_id}/statuses/{status_id}"}},
    }  # fmt: skip


def _pipeline(
    account: Account, pipeline_id: int, name: str, sort: int, *, main: bool, unsorted: bool,
    archived: bool,
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": pipeline_id, "name": name, "sort": sort, "is_main": main,
        "is_unsorted_on": unsorted, "is_archive": archived, "account_id": account.id,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/leads/pipelines/{pipeline_id}"}},
    }  # fmt: skip


@pytest.fixture(scope="module")
def setup(factory: Factory) -> Pipelines:
    account = factory.account()
    main, other = account.main_pipeline, account.other_pipeline
    incoming, first, second = (account.stages[k][1] for k in ("incoming", "first", "second"))
    # A stage added later with a lower sort must still come in sort order, not id order.
    late = status(factory, account, main, "Qualified", 15, "#87f2c0")
    # An archived pipeline sorted before the others must come first.
    archived = pipeline(factory, account, "Archive", 0, archived=True)
    d1 = description(factory, account, main, first, "newbie", "Call within an hour", T1, T2)
    d2 = description(factory, account, main, first, "master", "Qualify budget ✓ / timing", T2, T2)
    d3 = description(factory, account, main, WON, "candidate", "Send thanks", T1, T1)

    other_incoming = account_stage_id(factory, account, other, "Incoming")
    other_first = account.stages["other_first"][1]
    statuses = {
        main: [
            _status(account, main, incoming, "Incoming", 10, editable=False, type_=1),
            _status(account, main, late, "Qualified", 15, editable=True, color="#87f2c0"),
            _status(account, main, first, "First", 20, editable=True),
            _status(account, main, second, "Second", 30, editable=True),
            _status(account, main, WON, "Won", 10000, editable=False),
            _status(account, main, LOST, "Lost", 11000, editable=False),
        ],
        other: [
            _status(account, other, other_incoming, "Incoming", 10, editable=False, type_=1),
            _status(account, other, other_first, "First", 20, editable=True),
            _status(account, other, WON, "Won", 10000, editable=False),
            _status(account, other, LOST, "Lost", 11000, editable=False),
        ],
        archived: [],
    }

    def desc(
        did: int, sid: int, level: str, text: str, created: str, updated: str
    ) -> dict[str, Any]:
        return {
            "id": did, "account_id": account.id, "created_at": created, "updated_at": updated,
            "created_by": 0, "updated_by": 0, "pipeline_id": main, "status_id": sid,
            "level": level, "description": text,
        }  # fmt: skip

    a, b = "2023-11-14 22:13:20", "2024-06-01 12:34:56"
    descriptions = {
        (main, first): [
            desc(d1, first, "newbie", "Call within an hour", a, b),
            desc(d2, first, "master", "Qualify budget ✓ / timing", b, b),
        ],
        (main, WON): [desc(d3, WON, "candidate", "Send thanks", a, a)],
    }
    return Pipelines(
        account=account,
        token=factory.token(account, account.admin),
        user_token=factory.token(account, factory.user(account, view="D")),
        pipelines=[
            _pipeline(account, archived, "Archive", 0, main=False, unsorted=False, archived=True),
            _pipeline(account, main, "Sales", 1, main=True, unsorted=True, archived=False),
            _pipeline(account, other, "Other", 2, main=False, unsorted=True, archived=False),
        ],
        statuses=statuses,
        descriptions=descriptions,
        empty_pipeline=archived,
    )


def account_stage_id(factory: Factory, account: Account, pipeline_id: int, name: str) -> int:
    """The id of a status the shared factory created but does not name in ``stages``."""
    with factory.engine.begin() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT id FROM statuses WHERE account_id = :a AND pipeline_id = :p "
                    "AND name = :n"
                ),
                {"a": account.id, "p": pipeline_id, "n": name},
            ).scalar_one()
        )


def _with_pipeline_statuses(setup: Pipelines, item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "_embedded": {"statuses": setup.statuses[item["id"]]}}


def _with_descriptions(setup: Pipelines, item: dict[str, Any]) -> dict[str, Any]:
    """A status object as ``with=descriptions`` shows it: descriptions before ``_links``."""
    found = setup.descriptions.get((item["pipeline_id"], item["id"]), [])
    body = {k: v for k, v in item.items() if k != "_links"}
    body["descriptions"] = found
    body["_links"] = item["_links"]
    return body


def _get(client: TestClient, token: str, path: str, **params: str) -> Any:
    return client.get(path, params=params or None, headers={"Authorization": f"Bearer {token}"})


def _ok(response: Any) -> Any:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    return response.json()


def _check_status_keys(item: dict[str, Any]) -> None:
    assert list(item) == [k for k in STATUS_KEYS if k in item]
    for d in item.get("descriptions", []):
        assert list(d) == DESCRIPTION_KEYS


# -- pipelines ---------------------------------------------------------------------------------


def test_list_whole_answer(client: TestClient, setup: Pipelines):
    body = _ok(_get(client, setup.token, "/api/v4/leads/pipelines"))
    assert body == {
        "_total_items": 3,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/leads/pipelines"}},
        "_embedded": {"pipelines": [_with_pipeline_statuses(setup, p) for p in setup.pipelines]},
    }
    assert list(body) == ["_total_items", "_links", "_embedded"]
    for item in body["_embedded"]["pipelines"]:
        assert list(item) == PIPELINE_KEYS
        for s in item["_embedded"]["statuses"]:
            _check_status_keys(s)


def test_list_is_not_paged_and_keeps_the_query_in_self(client: TestClient, setup: Pipelines):
    body = _ok(_get(client, setup.token, "/api/v4/leads/pipelines", page="2", limit="1"))
    assert len(body["_embedded"]["pipelines"]) == 3
    assert body["_links"] == {"self": {"href": f"{ORIGIN}/api/v4/leads/pipelines?page=2&limit=1"}}
    assert "_page" not in body


def test_descriptions_are_not_part_of_pipeline_reads(client: TestClient, setup: Pipelines):
    body = _ok(_get(client, setup.token, "/api/v4/leads/pipelines", **{"with": "descriptions"}))
    assert body["_embedded"]["pipelines"][1] == _with_pipeline_statuses(setup, setup.pipelines[1])


@pytest.mark.parametrize("index", [0, 1, 2])
def test_get_whole_answer(client: TestClient, setup: Pipelines, index: int):
    want = _with_pipeline_statuses(setup, setup.pipelines[index])
    body = _ok(_get(client, setup.token, f"/api/v4/leads/pipelines/{want['id']}"))
    assert body == want
    assert list(body) == PIPELINE_KEYS


def test_every_user_may_read(client: TestClient, setup: Pipelines):
    main = setup.account.main_pipeline
    for path in (
        "/api/v4/leads/pipelines",
        f"/api/v4/leads/pipelines/{main}",
        f"/api/v4/leads/pipelines/{main}/statuses",
        f"/api/v4/leads/pipelines/{main}/statuses/{WON}",
    ):
        assert _get(client, setup.user_token, path).status_code == 200, path


def _assert_problem(response: Any, status_code: int, detail: str) -> None:
    assert response.status_code == status_code
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "title": "Not Found",
        "type": "https://httpstatus.es/404",
        "status": 404,
        "detail": detail,
    }


@pytest.mark.parametrize("pipeline_id", ["999999999", "0", str(2**63 - 1), str(2**64)])
def test_unknown_pipeline_is_404(client: TestClient, setup: Pipelines, pipeline_id: str):
    for path in (
        f"/api/v4/leads/pipelines/{pipeline_id}",
        f"/api/v4/leads/pipelines/{pipeline_id}/statuses",
        f"/api/v4/leads/pipelines/{pipeline_id}/statuses/{WON}",
    ):
        _assert_problem(_get(client, setup.token, path), 404, "Pipeline not found")


def test_other_accounts_pipeline_is_404(client: TestClient, factory: Factory, setup: Pipelines):
    other = factory.account()
    response = _get(client, setup.token, f"/api/v4/leads/pipelines/{other.main_pipeline}")
    _assert_problem(response, 404, "Pipeline not found")


def test_no_token_is_401(client: TestClient, setup: Pipelines):
    response = client.get(f"/api/v4/leads/pipelines/{setup.account.main_pipeline}")
    assert response.status_code == 401


# -- statuses ----------------------------------------------------------------------------------


@pytest.mark.parametrize("with_descriptions", [False, True])
@pytest.mark.parametrize("which", ["main", "other"])
def test_statuses_whole_answer(
    client: TestClient, setup: Pipelines, which: str, with_descriptions: bool
):
    pipeline_id = getattr(setup.account, f"{which}_pipeline")
    params = {"with": "descriptions"} if with_descriptions else {}
    body = _ok(
        _get(client, setup.token, f"/api/v4/leads/pipelines/{pipeline_id}/statuses", **params)
    )
    items = setup.statuses[pipeline_id]
    if with_descriptions:
        items = [_with_descriptions(setup, s) for s in items]
    query = "?with=descriptions" if with_descriptions else ""
    assert body == {
        "_total_items": len(items),
        "_links": {"self": {"href":
            f"{ORIGIN}/api/v4/leads/pipelines/{pipeline_id}/statuses{query}"}},
        "_embedded": {"statuses": items},
    }  # fmt: skip
    assert list(body) == ["_total_items", "_links", "_embedded"]
    for item in body["_embedded"]["statuses"]:
        _check_status_keys(item)


def test_statuses_of_a_pipeline_without_any_is_204(client: TestClient, setup: Pipelines):
    response = _get(client, setup.token, f"/api/v4/leads/pipelines/{setup.empty_pipeline}/statuses")
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize("with_descriptions", [False, True])
@pytest.mark.parametrize("index", range(6))
def test_status_whole_answer(
    client: TestClient, setup: Pipelines, index: int, with_descriptions: bool
):
    main = setup.account.main_pipeline
    want = setup.statuses[main][index]
    if with_descriptions:
        want = _with_descriptions(setup, want)
    params = {"with": "descriptions"} if with_descriptions else {}
    path = f"/api/v4/leads/pipelines/{main}/statuses/{want['id']}"
    body = _ok(_get(client, setup.token, path, **params))
    assert body == want
    _check_status_keys(body)


def test_shared_status_ids_resolve_per_pipeline(client: TestClient, setup: Pipelines):
    """142 and 143 recur in every pipeline: the path's pipeline decides which one answers."""
    other = setup.account.other_pipeline
    body = _ok(_get(client, setup.token, f"/api/v4/leads/pipelines/{other}/statuses/{WON}",
                    **{"with": "descriptions"}))  # fmt: skip
    assert body["pipeline_id"] == other
    assert body["descriptions"] == []


def test_status_of_another_pipeline_is_404(client: TestClient, setup: Pipelines):
    main, other = setup.account.main_pipeline, setup.account.other_pipeline
    first = setup.account.stages["first"][1]
    response = _get(client, setup.token, f"/api/v4/leads/pipelines/{other}/statuses/{first}")
    _assert_problem(response, 404, "Status not found")
    response = _get(client, setup.token, f"/api/v4/leads/pipelines/{main}/statuses/0")
    _assert_problem(response, 404, "Status not found")


def test_non_ascii_and_slashes_are_not_escaped(client: TestClient, setup: Pipelines):
    main = setup.account.main_pipeline
    first = setup.account.stages["first"][1]
    raw = _get(client, setup.token, f"/api/v4/leads/pipelines/{main}/statuses/{first}",
               **{"with": "descriptions"}).content  # fmt: skip
    assert "Qualify budget ✓ / timing".encode() in raw
