"""A task write item taken apart: every writable field type-checked, nothing looked up yet
(users, task types and the linked entity are looked up for the whole batch in
:mod:`kommodore.tasks.changes`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kommodore.http.validation import BLANK, ItemErrors, Reader

MAX_TEXT = 20_000
ENTITY_TYPES = frozenset({"leads", "contacts", "companies", "customers"})
NOT_BLANK = "NotBlank"


@dataclass(slots=True)
class TaskInput:
    """One item; ``None`` means not sent (or sent as null, ignored) except where a flag says
    otherwise."""

    request_id: str
    errors: ItemErrors
    id: int | None = None
    text: str | None = None
    complete_till: int | None = None
    responsible_user_id: int | None = None
    entity: tuple[str, int] | None = None
    """The (entity type, id) to link, when both were sent and well typed."""
    unlink: bool = False
    """Both ``entity_id`` and ``entity_type`` sent as null: the task hangs on nothing."""
    is_completed: bool | None = None
    task_type_id: int | None = None
    duration: int | None = None
    result_text: str | None = None
    created_by: int | None = None
    updated_by: int | None = None
    created_at: int | None = None
    updated_at: int | None = None


def _blank(errors: ItemErrors, path: str) -> None:
    errors.add(NOT_BLANK, path, BLANK)


def read_task(item: Any, errors: ItemErrors, *, update: bool, path_id: int | None) -> TaskInput:
    """Type-check one item (an object: the caller checked); POST requires ``text`` and
    ``complete_till``, PATCH requires only the ``id`` (from the path for ``PATCH /{id}``)."""
    r = Reader(item, errors)
    task = TaskInput(request_id=errors.request_id, errors=errors)
    if update:
        if path_id is not None:
            task.id = path_id
        else:
            task.id = r.id("id")
            if task.id is None and not r.has("id"):
                errors.missing("id")
    if item.get("text") is None:
        if not update:
            _blank(errors, "text")  # missing or null: a PATCH's null is ignored
    else:
        text = r.text("text", max_length=MAX_TEXT)
        if text is not None and not text.strip():
            _blank(errors, "text")
        else:
            task.text = text
    if item.get("complete_till") is None:
        if not update:
            _blank(errors, "complete_till")
    else:
        task.complete_till = r.timestamp("complete_till")
    task.responsible_user_id = r.id("responsible_user_id")
    task.created_by = r.integer("created_by")
    task.updated_by = r.integer("updated_by")
    task.created_at = r.timestamp("created_at")
    task.updated_at = r.timestamp("updated_at")
    task.is_completed = r.boolean("is_completed")
    task.task_type_id = r.id("task_type_id")
    task.duration = r.integer("duration", maximum=2**31 - 1)
    _entity(task, r)
    _result(task, r)
    return task


def _entity(task: TaskInput, r: Reader) -> None:
    """``entity_type`` and ``entity_id`` go together: one without the other, or a type
    kommodore does not know, is ``NotSupportedChoice`` at ``entity_id``."""
    sent_type, sent_id = "entity_type" in r.data, "entity_id" in r.data
    if not sent_type and not sent_id:
        return
    if r.is_null("entity_type") and r.is_null("entity_id"):
        task.unlink = True
        return
    kind = r.string("entity_type")
    entity_id = r.id("entity_id")
    if task.errors.errors and (
        (r.has("entity_type") and kind is None) or (r.has("entity_id") and entity_id is None)
    ):
        return  # a type error already says what is wrong
    if kind is None or entity_id is None or kind not in ENTITY_TYPES:
        task.errors.not_supported("entity_id")
        return
    task.entity = (kind, entity_id)


def _result(task: TaskInput, r: Reader) -> None:
    """``{"text": "..."}``; ``[]`` (what a read task holds without one) and null are ignored."""
    value = r.data.get("result")
    if value is None or value == []:
        return
    result = r.nested("result")
    if result is None:
        return
    text = result.text("text", max_length=MAX_TEXT)
    if text is not None:
        task.result_text = text
