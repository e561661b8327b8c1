"""Adding and editing tasks: every item of a batch is checked against one set of lookups, then
the batch is written, ``closest_task_at`` of every entity it touched is recomputed, and its
events and webhooks are queued, all inside the request's transaction. One bad item refuses
the batch and nothing is written.

Order of refusals: type and reference errors (400 ``validation-errors``), then rights (403).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kommodore.accounts.service import task_types
from kommodore.auth.rights import Actor, can_edit_task
from kommodore.auth.service import Principal
from kommodore.db import ids
from kommodore.db.database import Connection
from kommodore.events.record import NewEvent, record
from kommodore.http.directory import each_item
from kommodore.http.hal import Href, self_links
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors
from kommodore.tasks import store, wire
from kommodore.tasks.input import TaskInput, read_task
from kommodore.tasks.outbox import TaskChange, enqueue_task_changes
from kommodore.tasks.store import TaskRow

MAX_BATCH = 250
ROBOT = 0
FOLLOW_UP = 1
ALREADY_EDITED = "This task is already edited by this batch."


@dataclass(frozen=True, slots=True)
class Lookups:
    users: dict[int, int]
    types: set[int]
    entities: set[tuple[str, int]]
    tasks: dict[int, TaskRow]


@dataclass(frozen=True, slots=True)
class Plan:
    task: TaskInput
    row: TaskRow
    before: TaskRow | None


def read_batch(
    items: Sequence[Any], *, update: bool, path_id: int | None = None
) -> tuple[list[TaskInput], BatchErrors]:
    errors = BatchErrors()
    inputs = [
        read_task(r.data, item_errors, update=update, path_id=path_id)
        for item_errors, r in each_item(items, errors)
        if r is not None
    ]
    return inputs, errors


async def _lookups(
    conn: Connection, principal: Principal, inputs: Sequence[TaskInput], *, update: bool
) -> Lookups:
    account_id = principal.account.id
    users = {principal.actor.user_id}
    for t in inputs:
        users |= {u for u in (t.responsible_user_id, t.created_by, t.updated_by) if u}
    tasks = await store.tasks_for_update(
        conn, account_id, {t.id for t in inputs if t.id is not None} if update else set()
    )
    return Lookups(
        users=await store.user_groups(conn, account_id, users),
        types={t["id"] for t in await task_types(conn, account_id) if isinstance(t, dict)},
        entities=await store.live_entities(
            conn, account_id, [t.entity for t in inputs if t.entity is not None]
        ),
        tasks=tasks,
    )


def _check_refs(t: TaskInput, found: Lookups) -> None:
    """Users, the task type and the linked entity must exist in the account."""
    if t.responsible_user_id is not None and t.responsible_user_id not in found.users:
        t.errors.not_supported("responsible_user_id")
    for key, value in (("created_by", t.created_by), ("updated_by", t.updated_by)):
        if value is not None and value != ROBOT and value not in found.users:
            t.errors.not_supported(key)
    if t.task_type_id is not None and t.task_type_id not in found.types:
        t.errors.not_supported("task_type_id")
    if t.entity is not None and t.entity not in found.entities:
        t.errors.not_supported("entity_id")


def _entity_of(t: TaskInput, before: TaskRow | None) -> tuple[str | None, int | None]:
    if t.entity is not None:
        return t.entity
    if t.unlink or before is None:
        return None, None
    return before.entity_type, before.entity_id


def _plan(
    t: TaskInput, found: Lookups, actor: Actor, task_id: int, now: int, note_id: int | None
) -> Plan | None:
    """The task's row after the write; ``note_id`` is the id the result's system note takes
    when this item sets a new result."""
    _check_refs(t, found)
    before = None
    if t.id is not None:
        before = found.tasks.get(t.id)
        if before is None:
            t.errors.not_supported("id")
    if t.errors.errors:
        return None
    if before is None:
        created_at = t.created_at if t.created_at is not None else now
        base = TaskRow(
            id=task_id, created_by=t.created_by if t.created_by is not None else actor.user_id,
            updated_by=actor.user_id, created_at=created_at, updated_at=max(now, created_at),
            responsible_user_id=actor.user_id, group_id=found.users.get(actor.user_id, 0),
            entity_id=None, entity_type=None, duration=0, is_completed=False,
            task_type_id=FOLLOW_UP, text="", result_text=None, result_note_id=None,
            complete_till=0,
        )  # fmt: skip
    else:
        base = before._replace(
            updated_by=actor.user_id,
            updated_at=now,
            created_by=t.created_by if t.created_by is not None else before.created_by,
            created_at=t.created_at if t.created_at is not None else before.created_at,
        )
    responsible = t.responsible_user_id or base.responsible_user_id
    entity_type, entity_id = _entity_of(t, before)
    new_result = t.result_text is not None and (
        before is None or t.result_text != before.result_text
    )
    row = base._replace(
        updated_by=t.updated_by if t.updated_by is not None else base.updated_by,
        updated_at=t.updated_at if t.updated_at is not None else base.updated_at,
        responsible_user_id=responsible,
        group_id=found.users.get(responsible, base.group_id),
        entity_type=entity_type,
        entity_id=entity_id,
        duration=t.duration if t.duration is not None else base.duration,
        is_completed=t.is_completed if t.is_completed is not None else base.is_completed,
        task_type_id=t.task_type_id if t.task_type_id is not None else base.task_type_id,
        text=t.text if t.text is not None else base.text,
        result_text=t.result_text if new_result else base.result_text,
        result_note_id=note_id if new_result else base.result_note_id,
        complete_till=t.complete_till if t.complete_till is not None else base.complete_till,
    )
    return Plan(t, row, before)


def _check_rights(plans: Sequence[Plan], actor: Actor) -> None:
    """Every user adds tasks; editing needs ``rights.tasks.edit`` over the task as it is,
    else 403 naming the items."""
    refused = BatchErrors()
    for plan in plans:
        if plan.before is not None and not can_edit_task(actor, plan.before):
            refused.item(plan.task.request_id).add(
                "AccessDenied", "id", "You do not have the right to do this."
            )
    if refused:
        raise Problem(403, "Access denied", **{"validation-errors": refused.body()})


def _touched(plans: Sequence[Plan]) -> list[tuple[str | None, int | None]]:
    """The entities whose ``closest_task_at`` the batch may change: before and after."""
    out = [(p.row.entity_type, p.row.entity_id) for p in plans]
    out += [(p.before.entity_type, p.before.entity_id) for p in plans if p.before is not None]
    return out


async def add_tasks(
    conn: Connection,
    principal: Principal,
    inputs: Sequence[TaskInput],
    errors: BatchErrors,
    now: int,
) -> list[Plan]:
    """Validate and write new tasks; their plans in request order."""
    account_id = principal.account.id
    found = await _lookups(conn, principal, inputs, update=False)
    task_ids = await ids.allocate(conn, "tasks", len(inputs))
    note_ids = iter(await _note_ids(conn, sum(1 for t in inputs if t.result_text is not None)))
    planned = [
        _plan(t, found, principal.actor, task_id, now,
              next(note_ids) if t.result_text is not None else None)
        for t, task_id in zip(inputs, task_ids, strict=True)
    ]  # fmt: skip
    errors.raise_if_any()
    plans = [p for p in planned if p is not None]
    await store.insert_tasks(conn, account_id, [p.row for p in plans])
    await store.recompute_closest(conn, account_id, _touched(plans))
    await record(conn, account_id, [_event("task_added", p.row) for p in plans], now)
    await enqueue_task_changes(conn, account_id, [TaskChange(p.row.id, "add") for p in plans], now)
    return plans


async def _note_ids(conn: Connection, count: int) -> Sequence[int]:
    """Ids of the system notes behind ``task_result_added``: drawn from the notes' sequence,
    like ``lead_added``'s, and never listed or served as notes."""
    return await ids.allocate(conn, "notes", count)


async def edit_tasks(
    conn: Connection,
    principal: Principal,
    inputs: Sequence[TaskInput],
    errors: BatchErrors,
    now: int,
) -> list[Plan]:
    """Validate and apply edits; a task named twice in one batch is an error on the second."""
    account_id = principal.account.id
    seen: set[int] = set()
    for t in inputs:
        if t.id is not None:
            if t.id in seen:
                t.errors.invalid("id", ALREADY_EDITED)
            seen.add(t.id)
    named = [t for t in inputs if t.id is not None]
    found = await _lookups(conn, principal, named, update=True)
    resulting = [
        t for t in named
        if t.result_text is not None
        and (t.id not in found.tasks or found.tasks[t.id].result_text != t.result_text)
    ]  # fmt: skip
    note_ids = dict(
        zip((id(t) for t in resulting), await _note_ids(conn, len(resulting)), strict=True)
    )
    planned = [_plan(t, found, principal.actor, 0, now, note_ids.get(id(t))) for t in named]
    errors.raise_if_any()
    plans = [p for p in planned if p is not None]
    _check_rights(plans, principal.actor)
    await store.update_tasks(conn, account_id, [p.row for p in plans])
    await store.recompute_closest(conn, account_id, _touched(plans))
    await record(conn, account_id, [e for p in plans for e in _edit_events(p)], now)
    await enqueue_task_changes(
        conn,
        account_id,
        [
            TaskChange(
                p.row.id,
                "update",
                closed=p.row.is_completed and not _was_completed(p),
                old_responsible=(
                    p.before.responsible_user_id
                    if p.before is not None
                    and p.before.responsible_user_id != p.row.responsible_user_id
                    else None
                ),
            )
            for p in plans
        ],
        now,
    )
    return plans


def _was_completed(plan: Plan) -> bool:
    return plan.before is not None and plan.before.is_completed


def _event(
    kind: str, row: TaskRow, after: list[Any] | None = None, before: list[Any] | None = None
) -> NewEvent:
    return NewEvent(kind, row.id, row.updated_by, after or [], before or [], entity_type="task")


def _edit_events(plan: Plan) -> list[NewEvent]:
    """One event per change: text, deadline, type, responsible, completion, result."""
    old, new = plan.before, plan.row
    assert old is not None
    out = []
    if new.text != old.text:
        out.append(_event("task_text_changed", new, [{"task": {"text": new.text}}],
                          [{"task": {"text": old.text}}]))  # fmt: skip
    if new.complete_till != old.complete_till:
        out.append(_event("task_deadline_changed", new,
                          [{"task_deadline": {"timestamp": new.complete_till}}],
                          [{"task_deadline": {"timestamp": old.complete_till}}]))  # fmt: skip
    if new.task_type_id != old.task_type_id:
        out.append(_event("task_type_changed", new, [{"task_type": {"id": new.task_type_id}}],
                          [{"task_type": {"id": old.task_type_id}}]))  # fmt: skip
    if new.responsible_user_id != old.responsible_user_id:
        out.append(_event("entity_responsible_changed", new,
                          [{"responsible_user": {"id": new.responsible_user_id}}],
                          [{"responsible_user": {"id": old.responsible_user_id}}]))  # fmt: skip
    if new.is_completed and not old.is_completed:
        out.append(_event("task_completed", new))
    if new.result_note_id is not None and new.result_note_id != old.result_note_id:
        out.append(_event("task_result_added", new, [{"note": {"id": new.result_note_id}}]))
    return out


# -- answers ---------------------------------------------------------------------------------


def _link(origin: str, task_id: int) -> Any:
    return self_links(f"{origin}/api/v4/tasks/{task_id}")


def _collection(origin: str, items: list[Any]) -> bytes:
    body = {"_links": {"self": Href(f"{origin}/api/v4/tasks")}, "_embedded": {"tasks": items}}
    return wire.encoder.encode(body)


def added_body(plans: Sequence[Plan], origin: str) -> bytes:
    return _collection(
        origin,
        [
            wire.CreatedTask(
                id=p.row.id, request_id=p.task.request_id, links=_link(origin, p.row.id)
            )
            for p in plans
        ],
    )


def _updated(plan: Plan, origin: str) -> wire.UpdatedTask:
    return wire.UpdatedTask(
        id=plan.row.id,
        updated_at=plan.row.updated_at,
        request_id=plan.task.request_id,
        links=_link(origin, plan.row.id),
    )


def edited_body(plans: Sequence[Plan], origin: str) -> bytes:
    return _collection(origin, [_updated(p, origin) for p in plans])


def edited_one(plan: Plan, origin: str) -> bytes:
    return wire.encoder.encode(_updated(plan, origin))
