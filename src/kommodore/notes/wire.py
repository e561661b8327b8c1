"""A note as Kommo puts it on the wire, in Kommo's key order (spec §8.1), and the items of the
write answers."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import SelfLinks


class Note(msgspec.Struct, kw_only=True):
    """``is_pinned`` only with ``with=is_pinned``, before ``_links``."""

    id: int
    entity_id: int
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    responsible_user_id: int
    group_id: int
    note_type: str
    params: dict[str, Any]
    account_id: int
    is_pinned: bool | UnsetType = UNSET
    links: SelfLinks = msgspec.field(name="_links")


class CreatedNote(msgspec.Struct, kw_only=True):
    """An item of the POST answer."""

    id: int
    entity_id: int
    request_id: str
    links: SelfLinks = msgspec.field(name="_links")


class UpdatedNote(msgspec.Struct, kw_only=True):
    """An item of the PATCH answers; ``request_id`` only in the batch answer."""

    id: int
    entity_id: int
    updated_at: int
    request_id: str | UnsetType = UNSET
    links: SelfLinks = msgspec.field(name="_links")


encoder = msgspec.json.Encoder()
