"""What a task write hands to the webhooks outbox: Kommo's ``task[add|update|responsible][i]``
items, with the legacy keys and the account-local date-times of the documented
example, plus Unix ``created_at``/``updated_at`` as every other entity sends them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kommodore.accounts.service import timezone
from kommodore.db.database import Connection
from kommodore.tasks import store
from kommodore.tasks.store import TaskRow
from kommodore.webhooks import outbox
from kommodore.webhooks.payload import Pair

ELEMENT_TYPES = {"contacts": 1, "leads": 2, "companies": 3, "customers": 12}
"""The legacy ``element_type`` codes of webhook bodies."""


@dataclass(frozen=True, slots=True)
class TaskChange:
    """A task a batch changed; ``closed``: this update completed it (``action_close=1``);
    ``old_responsible``: the responsible user before, when it changed (a ``responsible``
    item)."""

    task_id: int
    action: Literal["add", "update"]
    closed: bool = False
    old_responsible: int | None = None


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_time(timestamp: int, zone: tzinfo) -> str:
    """``"Y-m-d H:i:s"`` in the account's time zone, as the documented hook writes dates."""
    return datetime.fromtimestamp(timestamp, tz=zone).strftime("%Y-%m-%d %H:%M:%S")


def task_pairs(
    task: TaskRow,
    account_id: int,
    zone: tzinfo,
    *,
    action_close: bool | None = None,
    old_responsible: int | None = None,
) -> list[Pair]:
    """One item's keys relative to its ``task[action][i]``; ``action_close`` only on update
    items, ``old_responsible_user_id`` only on responsible items."""
    pairs: list[Pair] = [("[id]", str(task.id))]
    if task.entity_type is not None and task.entity_id is not None:
        pairs.append(("[element_id]", str(task.entity_id)))
        pairs.append(("[element_type]", str(ELEMENT_TYPES.get(task.entity_type, 0))))
    pairs += [
        ("[task_type]", str(task.task_type_id)),
        ("[text]", task.text),
        ("[status]", "1" if task.is_completed else "0"),
        ("[account_id]", str(account_id)),
        ("[created_user_id]", str(task.created_by)),
        ("[responsible_user_id]", str(task.responsible_user_id)),
    ]
    if old_responsible is not None:
        pairs.append(("[old_responsible_user_id]", str(old_responsible)))
    pairs += [
        ("[date_create]", local_time(task.created_at, zone)),
        ("[last_modified]", local_time(task.updated_at, zone)),
        ("[complete_till]", local_time(task.complete_till, zone)),
    ]
    if action_close is not None:
        pairs.append(("[action_close]", "1" if action_close else "0"))
    if task.result_text is not None:
        if task.result_note_id is not None:
            pairs.append(("[result][id]", str(task.result_note_id)))
        pairs.append(("[result][text]", task.result_text))
    pairs.append(("[created_at]", str(task.created_at)))
    pairs.append(("[updated_at]", str(task.updated_at)))
    return pairs


def actions_of(change: TaskChange) -> tuple[str, ...]:
    if change.action == "add":
        return ("add",)
    return ("update", "responsible") if change.old_responsible is not None else ("update",)


async def enqueue_task_changes(
    conn: Connection, account_id: int, changes: Sequence[TaskChange], now: int
) -> None:
    """Queue deliveries for the enabled webhooks subscribed to these changes: one indexed
    query when none is; else the tasks are read as the transaction leaves them."""
    if not changes:
        return
    hooks = await outbox.task_subscribers(
        conn, account_id, {a for c in changes for a in actions_of(c)}
    )
    if not hooks:
        return
    tasks = await store.tasks_by_id(conn, account_id, {c.task_id for c in changes})
    zone = _zone(await timezone(conn, account_id))
    items: dict[str, list[Sequence[Pair]]] = {}
    for change in changes:
        task = tasks.get(change.task_id)
        if task is None:
            continue
        for action in actions_of(change):
            items.setdefault(action, []).append(
                task_pairs(
                    task,
                    account_id,
                    zone,
                    action_close=change.closed if action == "update" else None,
                    old_responsible=change.old_responsible if action == "responsible" else None,
                )
            )
    await outbox.enqueue_tasks(conn, account_id, hooks, items, now)
