"""The task as Kommo puts it on the wire, in Kommo's key order."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import SelfLinks


class TaskResult(msgspec.Struct, kw_only=True):
    text: str


class Task(msgspec.Struct, kw_only=True):
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
    result: TaskResult | list[Any]
    """``[]`` without a result, as Kommo sends it."""
    complete_till: int
    account_id: int
    links: SelfLinks = msgspec.field(name="_links")


class CreatedTask(msgspec.Struct, kw_only=True):
    """An item of the batch-add answer."""

    id: int
    request_id: str
    links: SelfLinks = msgspec.field(name="_links")


class UpdatedTask(msgspec.Struct, kw_only=True):
    """An item of the edit answers; ``request_id`` is echoed in both."""

    id: int
    updated_at: int
    request_id: str | UnsetType = UNSET
    links: SelfLinks = msgspec.field(name="_links")


class TaskType(msgspec.Struct, kw_only=True):
    id: int
    name: str
    color: str | None
    icon_id: int | None
    code: str | None


encoder = msgspec.json.Encoder()
