"""What the task tests share: the task as GET answers it, and the database rows a write
leaves beside it (events, the leads' ``closest_task_at``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.factories import Account, Factory
from tests.leads.writing import ORIGIN, As

TASKS_URL = f"{ORIGIN}/api/v4/tasks"


def task(api: As, task_id: int) -> dict[str, Any] | None:
    response = api.client.get(f"/api/v4/tasks/{task_id}", headers=api.headers)
    if response.status_code == 204:
        return None
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def add(api: As, *tasks: dict[str, Any]) -> list[int]:
    response = api.post("/api/v4/tasks", list(tasks))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["_embedded"]["tasks"]]


def listed(api: As, query: str) -> list[int]:
    """The ids ``GET /api/v4/tasks?query`` answers, in order; [] for 204."""
    response = api.client.get(f"/api/v4/tasks?{query}", headers=api.headers)
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["_embedded"]["tasks"]]


def model(
    account: Account, task_id: int, *, user: int, group: int, **fields: Any
) -> dict[str, Any]:
    """A task in Kommo's key order, with the defaults of a fresh task by ``user``."""
    body: dict[str, Any] = {
        "id": task_id, "created_by": user, "updated_by": user, "created_at": 0,
        "updated_at": 0, "responsible_user_id": user, "group_id": group, "entity_id": None,
        "entity_type": None, "duration": 0, "is_completed": False, "task_type_id": 1,
        "text": "", "result": [], "complete_till": 0, "account_id": account.id,
        "_links": {"self": {"href": f"{TASKS_URL}/{task_id}"}},
    }  # fmt: skip
    body.update(fields)
    return body


def column(factory: Factory, table: str, account: Account, row_id: int, name: str) -> Any:
    with factory.engine.begin() as conn:
        return conn.execute(
            sa.text(f"SELECT {name} FROM {table} WHERE account_id = :a AND id = :i"),  # noqa: S608 (test names)
            {"a": account.id, "i": row_id},
        ).scalar_one()


def events(factory: Factory, account: Account, task_id: int) -> list[tuple[str, str, str]]:
    """(type, value_after, value_before) of the task's events, in order."""
    with factory.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT type, value_after, value_before FROM events WHERE account_id = :a "
                "AND entity_type = 'task' AND entity_id = :i ORDER BY id"
            ),
            {"a": account.id, "i": task_id},
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]
