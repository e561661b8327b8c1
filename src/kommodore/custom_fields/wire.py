"""The custom field model of Kommo's API in the order of its field table."""

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
    id: int
    name: str
    code: str | None
    sort: int
    type: str
    entity_type: str
    account_id: int
    is_computed: bool
    is_predefined: bool
    is_deletable: bool
    is_api_only: bool
    group_id: str | None
    required_statuses: list[Any] | None
    hidden_statuses: list[Any]
    enums: list[Enum] | None
    remind: str | None
    currency: str | None
    chained_lists: list[Any] | None
    tracking_callback: str | None
    search_in: str | None
    triggers: list[Any]
    request_id: str | UnsetType = UNSET
    """Only in write answers; left out of reads."""
    links: SelfLinks = msgspec.field(name="_links")


encoder = msgspec.json.Encoder()
