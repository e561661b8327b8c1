"""Reading tasks and shaping them as Kommo does. Every user of the account sees every task
(tasks have no view right), so a list needs no rights clause."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from kommodore.accounts.service import task_types
from kommodore.auth.service import MAX_ID
from kommodore.db.database import Connection
from kommodore.db.where import FALSE, Where, since
from kommodore.http.hal import Href, collection_body, self_links
from kommodore.http.paging import Page, page_links
from kommodore.http.phpquery import as_list
from kommodore.http.query import Range, int_range, int_values, to_int
from kommodore.tasks import store, wire
from kommodore.tasks.input import ENTITY_TYPES
from kommodore.tasks.store import TaskRow

OrderColumn = Literal["id", "created_at", "updated_at", "complete_till"]
ORDER_COLUMNS: tuple[OrderColumn, ...] = ("id", "created_at", "updated_at", "complete_till")


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """``GET /api/v4/tasks``'s filters; None: not asked."""

    ids: list[int] | None = None
    responsible_user_ids: list[int] | None = None
    created_by: list[int] | None = None
    is_completed: list[bool] | None = None
    task_types: list[int] | None = None
    task_type_ids: list[int] | None = None
    entity_types: list[str] | None = None
    entity_ids: list[int] | None = None
    updated_after: int | None = None
    updated_at: Range | None = None
    complete_till: Range | None = None
    lead_statuses: list[tuple[int, int]] | None = None
    order: OrderColumn = "id"
    direction: str = "asc"
    modified_since: int | None = None
    """``If-Modified-Since``: tasks changed at or after it."""


def _completed(value: Any) -> list[bool] | None:
    """``1``/``0``, ``true``/``false``, one or several (OR); nothing usable matches nothing."""
    if value is None:
        return None
    found: list[bool] = []
    for v in as_list(value):
        word = v.strip().lower()
        if word in ("1", "true"):
            found.append(True)
        elif word in ("0", "false"):
            found.append(False)
    return found


def _lead_statuses(value: Any) -> list[tuple[int, int]] | None:
    if value is None:
        return None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    pairs = []
    for item in items:
        if isinstance(item, dict):
            p, s = item.get("pipeline_id"), item.get("status_id")
            pipeline = to_int(p) if isinstance(p, str) else None
            status = to_int(s) if isinstance(s, str) else None
            if pipeline is not None and status is not None:
                pairs.append((pipeline, status))
    return pairs


def _order(value: Any) -> tuple[OrderColumn, str]:
    """``order[created_at|updated_at|complete_till|id]=asc|desc``; the first usable key."""
    if isinstance(value, dict):
        for key, direction in value.items():
            column = next((c for c in ORDER_COLUMNS if c == key), None)
            if column is not None and isinstance(direction, str):
                d = direction.strip().lower()
                if d in ("asc", "desc"):
                    return column, d
    return "id", "asc"


def _updated_range(value: Any, after: int | None) -> Range | None:
    """``filter[updated_at][from|to]``; a bare value that is no integer matches nothing (a
    readable one is "after", a strict bound of its own)."""
    if isinstance(value, str):
        return (1, 0) if after is None else None
    return int_range(value)


def task_query(params: dict[str, Any], modified_since: int | None = None) -> TaskQuery:
    f = params.get("filter")
    filters: dict[str, Any] = f if isinstance(f, dict) else {}
    updated = filters.get("updated_at")
    after = to_int(updated) if isinstance(updated, str) else None
    kinds = filters.get("entity_type")
    order, direction = _order(params.get("order"))
    return TaskQuery(
        ids=int_values(filters.get("id")),
        responsible_user_ids=int_values(filters.get("responsible_user_id")),
        created_by=int_values(filters.get("created_by")),
        is_completed=_completed(filters.get("is_completed")),
        task_types=int_values(filters.get("task_type")),
        task_type_ids=int_values(filters.get("task_type_id")),
        entity_types=as_list(kinds) if kinds is not None else None,
        entity_ids=int_values(filters.get("entity_id")),
        updated_after=after,
        updated_at=_updated_range(updated, after),
        complete_till=int_range(filters.get("complete_till")),
        lead_statuses=_lead_statuses(filters.get("lead_statuses")),
        order=order,
        direction=direction,
        modified_since=modified_since,
    )


def _where(dialect: Any, account_id: int, query: TaskQuery) -> Where:
    q = Where(dialect, "t.account_id", account_id)
    q.filter(
        [
            ("t.id", query.ids, q.ints_in),
            ("t.responsible_user_id", query.responsible_user_ids, q.ints_in),
            ("t.created_by", query.created_by, q.ints_in),
            ("t.task_type_id", query.task_types, q.ints_in),
            ("t.task_type_id", query.task_type_ids, q.ints_in),
            ("t.updated_at", query.updated_at, q.range),
            ("t.updated_at", since(query.modified_since), q.range),
            ("t.complete_till", query.complete_till, q.range),
        ]
    )
    if query.is_completed is not None:
        states = set(query.is_completed)
        if not states:
            q.clauses.append(FALSE)
        elif len(states) == 1:
            q.clauses.append("t.is_completed" if True in states else "NOT t.is_completed")
    if query.updated_after is not None:
        q.clauses.append(f"t.updated_at > {q.arg(query.updated_after)}")
    if query.entity_types is not None:
        kinds = [k for k in query.entity_types if k in ENTITY_TYPES]
        q.clauses.append(q.texts_in("t.entity_type", kinds))
        if query.entity_ids is not None:  # only meaningful with the type
            q.clauses.append(q.ints_in("t.entity_id", query.entity_ids))
    if query.lead_statuses is not None:
        q.clauses.append(store.lead_stages_clause(q, query.lead_statuses))
    return q


def shape(task: TaskRow, account_id: int, origin: str) -> wire.Task:
    return wire.Task(
        id=task.id,
        created_by=task.created_by,
        updated_by=task.updated_by,
        created_at=task.created_at,
        updated_at=task.updated_at,
        responsible_user_id=task.responsible_user_id,
        group_id=task.group_id,
        entity_id=task.entity_id,
        entity_type=task.entity_type,
        duration=task.duration,
        is_completed=task.is_completed,
        task_type_id=task.task_type_id,
        text=task.text,
        result=[] if task.result_text is None else wire.TaskResult(text=task.result_text),
        complete_till=task.complete_till,
        account_id=account_id,
        links=self_links(f"{origin}/api/v4/tasks/{task.id}"),
    )


async def read_task(conn: Connection, account_id: int, task_id: int, origin: str) -> bytes | None:
    """The task, or None (204) when the account has no such task (or its entity is deleted)."""
    if not 1 <= task_id <= MAX_ID:
        return None
    task = await store.get_task(conn, account_id, task_id)
    if task is None:
        return None
    return wire.encoder.encode(shape(task, account_id, origin))


async def list_tasks(
    conn: Connection,
    account_id: int,
    query: TaskQuery,
    page: Page,
    origin: str,
    url: str,
    raw_query: str,
) -> bytes | None:
    """A page of tasks, or None (204) when it is empty."""
    q = _where(conn.dialect, account_id, query)
    direction = "DESC" if query.direction == "desc" else "ASC"
    order = f"t.id {direction}"
    if query.order != "id":
        order = f"t.{query.order} {direction}, {order}"
    rows = await store.page(conn, q, order, page.offset, page.limit + 1)
    if not rows:
        return None
    items = [shape(task, account_id, origin) for task in rows[: page.limit]]
    links = page_links(url, raw_query, page, len(rows) > page.limit)
    return collection_body("tasks", items, links, page=page.number)


async def list_task_types(
    conn: Connection, account_id: int, url: str, query: str, origin: str
) -> bytes:
    """``GET /api/v4/tasks/types`` (not documented; served read-only)."""
    types = [
        wire.TaskType(
            id=t.get("id", 0),
            name=t.get("name", ""),
            color=t.get("color"),
            icon_id=t.get("icon_id"),
            code=t.get("code"),
        )
        for t in await task_types(conn, account_id)
        if isinstance(t, dict)
    ]
    href = f"{url}?{query}" if query else url
    return collection_body("task_types", types, {"self": Href(href)}, total_items=len(types))
