"""The tasks rights matrix: tasks have no view or add right, so every user reads, lists and
adds every task (here a user who may view no lead, contact or company); ``rights.tasks.edit``
(A/G/M/D) over the task's responsible user and that user's group decides every edit: by id, in
a batch (all or nothing), a new deadline, completion with a result, reopening, a new
responsible user. A refused edit is a 403 naming the items (``AccessDenied`` at ``id``) and
leaves every task, event and note as it was."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import As, as_admin, as_user, assert_problem, problem
from tests.tasks.helpers import add

WHO = ("own", "mate", "stranger")
REACHES = {"A": set(WHO), "G": {"own", "mate"}, "M": {"own"}, "D": set()}
"""Whose tasks a code reaches, for a user of group "one" (the mate's group)."""


def _denied(*request_ids: str) -> dict[str, Any]:
    return {
        "validation-errors": [
            {"request_id": r, "errors": [{"code": "AccessDenied", "path": "id",
                                          "detail": "You do not have the right to do this."}]}
            for r in request_ids
        ],
        **problem(403, "Forbidden", "Access denied"),
    }  # fmt: skip


def _rows(factory: Factory, api: As) -> dict[str, list[Any]]:
    with factory.engine.begin() as conn:
        return {
            t: [tuple(r) for r in conn.execute(sa.text(
                f"SELECT * FROM {t} WHERE account_id = :a"  # noqa: S608 (fixed names)
            ), {"a": api.account.id})]
            for t in ("tasks", "events", "notes")
        }  # fmt: skip


@pytest.mark.parametrize("code", ["A", "G", "M", "D"])
def test_matrix(client: TestClient, factory: Factory, code: str):
    admin = as_admin(client, factory)
    a = admin.account
    user_id = factory.user(a, view="D", tasks=code, group="one")
    user = as_user(client, factory, a, user_id)
    owners = {"own": user_id, "mate": factory.user(a, group="one"),
              "stranger": factory.user(a, group="two")}  # fmt: skip
    tasks = dict(zip(WHO, add(admin, *(
        {"text": who, "complete_till": 1_900_000_000, "responsible_user_id": owners[who]}
        for who in WHO
    )), strict=True))  # fmt: skip
    edits = REACHES[code]

    # reads: everything, as the admin reads it
    for task_id in tasks.values():
        path = f"/api/v4/tasks/{task_id}"
        mine, theirs = (client.get(path, headers=api.headers) for api in (user, admin))
        assert (mine.status_code, mine.json()) == (200, theirs.json())
    listed = client.get("/api/v4/tasks", headers=user.headers)
    assert listed.json() == client.get("/api/v4/tasks", headers=admin.headers).json()
    assert [t["id"] for t in listed.json()["_embedded"]["tasks"]] == list(tasks.values())
    # adds: every user
    assert len(add(user, {"text": "mine", "complete_till": 1})) == 1

    def patch(who: str, path: str, body: Any, expect: dict[str, Any]) -> None:
        before = _rows(factory, admin)
        response = user.patch(path, body)
        if who in edits:
            assert response.status_code == 200, (body, response.text)
        else:
            assert_problem(response, 403, expect)
            assert _rows(factory, admin) == before

    # edits, one task at a time, in every form
    for who, task_id in tasks.items():
        for body in ({"text": f"{who} edited"}, {"complete_till": 1_950_000_000},
                     {"is_completed": True, "result": {"text": "done"}},
                     {"is_completed": False}):  # fmt: skip
            patch(who, f"/api/v4/tasks/{task_id}", body, _denied("0"))
    # a batch of the three: all or nothing
    before = _rows(factory, admin)
    batch = [{"id": tasks[w], "text": f"{w} batch", "request_id": w} for w in WHO]
    response = user.patch("/api/v4/tasks", batch)
    if edits == set(WHO):
        assert response.status_code == 200, response.text
        texts = [client.get(f"/api/v4/tasks/{tasks[w]}", headers=admin.headers).json()["text"]
                 for w in WHO]  # fmt: skip
        assert texts == [f"{w} batch" for w in WHO]
    else:
        assert_problem(response, 403, _denied(*(w for w in WHO if w not in edits)))
        assert _rows(factory, admin) == before
    # giving a task away is judged on the task as it was
    for who, task_id in tasks.items():
        body = [{"id": task_id, "responsible_user_id": owners["stranger"], "request_id": who}]
        patch(who, "/api/v4/tasks", body, _denied(who))
