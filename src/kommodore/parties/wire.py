"""Contacts and companies as Kommo returns them by id, in Kommo's key order."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import CompanyRef as CompanyRef  # an entity's embedded shapes
from kommodore.http.hal import SelfLinks
from kommodore.http.hal import TagRef as TagRef


class PartyEmbedded(msgspec.Struct, kw_only=True):
    tags: list[TagRef]
    companies: list[CompanyRef] | UnsetType = UNSET
    """A contact's companies; a company has no such key."""


class Party(msgspec.Struct, kw_only=True):
    """A contact, or a company: a company has no ``first_name``/``last_name`` keys."""

    id: int
    name: str
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    responsible_user_id: int
    group_id: int
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    closest_task_at: int | None
    is_deleted: bool
    is_unsorted: bool
    custom_fields_values: list[Any] | None
    account_id: int
    links: SelfLinks = msgspec.field(name="_links")
    embedded: PartyEmbedded = msgspec.field(name="_embedded")


encoder = msgspec.json.Encoder()
