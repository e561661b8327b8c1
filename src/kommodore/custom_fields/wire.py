"""The custom field model of Kommo's API in the key order of Kommo's example."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import SelfLinks


class Enum(msgspec.Struct, kw_only=True):
    id: int
    value: str
    sort: int
    code: str | None


class CustomField(msgspec.Struct, kw_only=True):
    """Kommo's order (its documented example): ``is_computed`` and ``search_in``, which that
    example lacks, sit beside ``is_predefined`` and after ``chained_lists``."""

    id: int
    name: str
    type: str
    account_id: int
    code: str | None
    sort: int
    is_api_only: bool
    enums: list[Enum] | None
    group_id: str | None
    required_statuses: list[Any]
    """``[]`` when no stage requires the field, never ``null``."""
    is_deletable: bool
    is_predefined: bool
    is_computed: bool
    entity_type: str
    tracking_callback: str | None
    remind: str | None
    triggers: list[Any]
    currency: str | None
    hidden_statuses: list[Any]
    chained_lists: list[Any] | None
    search_in: str | None
    request_id: str | UnsetType = UNSET
    """Only in write answers; left out of reads."""
    links: SelfLinks = msgspec.field(name="_links")


encoder = msgspec.json.Encoder()


class CustomFieldGroup(msgspec.Struct, kw_only=True):
    """A field group (a card tab) in the key order of the neighbours spec §4.4; ``fields``
    lists its fields' ids, as Kommo's reference documents it."""

    id: str
    name: str
    sort: int
    entity_type: str
    is_predefined: bool
    type: str
    fields: list[int]
    request_id: str | UnsetType = UNSET
    """Only in the add answer."""
    links: SelfLinks = msgspec.field(name="_links")
