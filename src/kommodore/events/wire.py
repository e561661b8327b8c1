"""Events as Kommo puts them on the wire, in Kommo's key order."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import SelfLinks


class EntityRef(msgspec.Struct, kw_only=True):
    """``_embedded.entity``: the lead, contact, company or task, with its ``name`` only for
    ``with=lead_name``, ``contact_name`` or ``company_name`` on that entity type's events."""

    id: int
    name: str | UnsetType = UNSET
    links: SelfLinks = msgspec.field(name="_links")


class EventEmbedded(msgspec.Struct, kw_only=True):
    entity: EntityRef


class EventHead(msgspec.Struct):
    """An event's first keys on the wire, and the first columns of its stored row (the store's
    ``EventRow`` extends it), in Kommo's key order."""

    id: str
    type: str
    entity_id: int
    entity_type: str
    created_by: int
    created_at: int


class Event(EventHead, kw_only=True):
    value_after: list[Any]
    value_before: list[Any]
    account_id: int
    links: SelfLinks = msgspec.field(name="_links")
    embedded: EventEmbedded = msgspec.field(name="_embedded")


class EventType(msgspec.Struct, kw_only=True):
    """An item of ``GET /api/v4/events/types``: the PHP SDK's EventTypeModel reads exactly
    ``key``, ``type`` (int) and ``lang`` (a string in the requested language)."""

    key: str
    type: int
    lang: str


encoder = msgspec.json.Encoder()
