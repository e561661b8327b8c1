"""Every SQL statement of tasks: the task rows, a list page (on ``db/where.py``), the lookups a
write makes, and the ``closest_task_at`` of the entities tasks hang on.

``closest_task_at`` is written here although it is a column of leads, contacts and companies:
it is derived from tasks alone, in the task write's transaction, and never bumps
the entity's ``updated_at``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, NamedTuple

from kommodore.db.database import (
    Connection,
    fetch_column,
    fetch_row,
    fetch_rows,
    int_array,
    sql,
)
from kommodore.db.where import FALSE, Where
from kommodore.http.directory import with_booleans

ENTITY_TABLES = ("leads", "contacts", "companies")
"""The entity types a task can hang on that kommodore stores (customers are not modelled)."""


class TaskRow(NamedTuple):
    id: int
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    responsible_user_id: int
    group_id: int
    entity_id: int | None
    entity_type: str | None
    duration: int
    is_completed: bool
    task_type_id: int
    text: str
    result_text: str | None
    result_note_id: int | None
    complete_till: int


COLUMNS = TaskRow._fields
_COLUMN_LIST = ", ".join(f"t.{c}" for c in COLUMNS)
TASK_SELECT = f"SELECT {_COLUMN_LIST} FROM tasks t"  # noqa: S608 (a column list constant)
_row = with_booleans(TaskRow, "is_completed")

VISIBLE_PARENT = " AND ".join(
    f"NOT EXISTS (SELECT 1 FROM {table} p WHERE p.account_id = t.account_id "  # noqa: S608 (table names from the fixed ENTITY_TABLES)
    f"AND t.entity_type = '{table}' AND p.id = t.entity_id AND p.is_deleted)"
    for table in ENTITY_TABLES
)
"""Tasks of a deleted lead, contact or company are hidden until it is restored."""

_GET = sql(f"{TASK_SELECT} WHERE t.account_id = $1 AND t.id = $2 AND {VISIBLE_PARENT}")
_FOR_UPDATE = sql(
    f"{TASK_SELECT} WHERE t.account_id = $1 AND t.id = ANY($2::bigint[]) AND {VISIBLE_PARENT} "
    "FOR UPDATE"
)
_INSERT = sql(
    f"INSERT INTO tasks (account_id, {', '.join(COLUMNS)}) VALUES "  # noqa: S608 (a column list constant)
    f"({', '.join(f'${n}' for n in range(1, len(COLUMNS) + 2))})"
)
_UPDATABLE = COLUMNS[1:]
_UPDATE = sql(
    "UPDATE tasks SET "  # noqa: S608 (a column list constant)
    + ", ".join(f"{c} = ${n}" for n, c in enumerate(_UPDATABLE, start=3))
    + " WHERE account_id = $1 AND id = $2"
)
_USERS = sql("SELECT id, group_id FROM users WHERE account_id = $1 AND id = ANY($2::bigint[])")
_LIVE = {
    table: sql(
        f"SELECT id FROM {table} WHERE account_id = $1 AND id = ANY($2::bigint[]) "  # noqa: S608 (table names from the fixed ENTITY_TABLES)
        "AND NOT is_deleted"
    )
    for table in ENTITY_TABLES
}
_CLOSEST = {
    table: sql(
        f"UPDATE {table} SET closest_task_at = (SELECT min(t.complete_till) FROM tasks t "  # noqa: S608 (table names from the fixed ENTITY_TABLES)
        f"WHERE t.account_id = {table}.account_id AND t.entity_type = '{table}' "
        f"AND t.entity_id = {table}.id AND NOT t.is_completed) "
        "WHERE account_id = $1 AND id = ANY($2::bigint[])"
    )
    for table in ENTITY_TABLES
}
_LEAD_STAGES = sql(
    "SELECT id, pipeline_id, status_id FROM leads WHERE account_id = $1 AND id = ANY($2::bigint[])"
)


class _UserGroup(NamedTuple):
    id: int
    group_id: int | None


class LeadStage(NamedTuple):
    id: int
    pipeline_id: int
    status_id: int


async def get_task(conn: Connection, account_id: int, task_id: int) -> TaskRow | None:
    return await fetch_row(conn, _row, _GET, account_id, task_id)


async def tasks_for_update(
    conn: Connection, account_id: int, ids: Collection[int]
) -> dict[int, TaskRow]:
    """The account's tasks among ``ids``, locked for the batch that edits them; a task of a
    deleted entity is hidden, so an edit names it as an unknown id."""
    if not ids:
        return {}
    rows = await fetch_rows(
        conn, _row, _FOR_UPDATE, account_id, int_array(conn.dialect, sorted(ids))
    )
    return {r.id: r for r in rows}


async def tasks_by_id(
    conn: Connection, account_id: int, ids: Collection[int]
) -> dict[int, TaskRow]:
    """The tasks as the transaction leaves them (for the webhook items)."""
    return await tasks_for_update(conn, account_id, ids)


async def page(conn: Connection, q: Where, order: str, offset: int, limit: int) -> list[TaskRow]:
    """A list page: ``q`` holds the clauses over tasks aliased ``t``."""
    q.clauses.append(VISIBLE_PARENT)
    return await fetch_rows(conn, _row, q.page(TASK_SELECT, order, offset, limit), *q.args)


def lead_stages_clause(q: Where, pairs: Sequence[tuple[int, int]]) -> str:
    """``filter[lead_statuses]``: tasks on leads standing in one of the (pipeline, status)
    pairs."""
    if not pairs:
        return FALSE
    stages = " OR ".join(
        f"(l.pipeline_id = {q.arg(p)} AND l.status_id = {q.arg(s)})" for p, s in pairs
    )
    return (
        "t.entity_type = 'leads' AND EXISTS (SELECT 1 FROM leads l "  # noqa: S608 (clauses of bound values)
        f"WHERE l.account_id = t.account_id AND l.id = t.entity_id AND ({stages}))"
    )


async def user_groups(conn: Connection, account_id: int, ids: Collection[int]) -> dict[int, int]:
    """user id -> group id (0 for the default group) for the users among ``ids``."""
    if not ids:
        return {}
    rows = await fetch_rows(
        conn, _UserGroup, _USERS, account_id, int_array(conn.dialect, sorted(ids))
    )
    return {u.id: u.group_id or 0 for u in rows}


async def live_entities(
    conn: Connection, account_id: int, wanted: Iterable[tuple[str, int]]
) -> set[tuple[str, int]]:
    """The (entity type, id) pairs among ``wanted`` that name a live entity of the account."""
    by_type: dict[str, set[int]] = {}
    for kind, entity_id in wanted:
        if kind in _LIVE:
            by_type.setdefault(kind, set()).add(entity_id)
    found: set[tuple[str, int]] = set()
    for kind, ids in by_type.items():
        ids_ = int_array(conn.dialect, sorted(ids))
        found |= {(kind, i) for i in await fetch_column(conn, _LIVE[kind], account_id, ids_)}
    return found


async def lead_stages(conn: Connection, account_id: int, ids: Collection[int]) -> list[LeadStage]:
    if not ids:
        return []
    ids_ = int_array(conn.dialect, sorted(ids))
    return await fetch_rows(conn, LeadStage, _LEAD_STAGES, account_id, ids_)


def _values(row: TaskRow) -> list[Any]:
    return list(row)


async def insert_tasks(conn: Connection, account_id: int, rows: Sequence[TaskRow]) -> None:
    await conn.execute_many(_INSERT, [[account_id, *_values(r)] for r in rows])


async def update_tasks(conn: Connection, account_id: int, rows: Sequence[TaskRow]) -> None:
    """Every column but the id of each row, as the batch leaves it."""
    await conn.execute_many(_UPDATE, [[account_id, r.id, *_values(r)[1:]] for r in rows])


async def recompute_closest(
    conn: Connection, account_id: int, entities: Iterable[tuple[str | None, int | None]]
) -> None:
    """``closest_task_at`` of each (entity type, id) a task write touched: the earliest
    deadline of its open tasks, overdue ones included, or null. ``updated_at`` is left as it
    is and no entity webhook fires."""
    by_type: dict[str, set[int]] = {}
    for kind, entity_id in entities:
        if kind in _CLOSEST and entity_id is not None:
            by_type.setdefault(kind, set()).add(entity_id)
    for kind, ids in sorted(by_type.items()):
        await conn.execute(_CLOSEST[kind], account_id, int_array(conn.dialect, sorted(ids)))
