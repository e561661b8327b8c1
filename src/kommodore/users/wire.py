"""The user as Kommo puts it on the wire, in Kommo's key order.

``rights`` joins the stored rights JSON with the user columns that Kommo also reports inside
it (``is_admin`` ... ``role_id``). The ``with``-only keys are ``UNSET`` unless asked for.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import SelfLinks


class UserRights(msgspec.Struct, kw_only=True):
    leads: dict[str, Any]
    contacts: dict[str, Any]
    companies: dict[str, Any]
    tasks: dict[str, Any]
    mail_access: bool
    catalog_access: bool
    status_rights: list[dict[str, Any]] | None
    is_admin: bool
    is_free: bool
    is_active: bool
    group_id: int | None
    role_id: int | None


class NamedRef(msgspec.Struct, kw_only=True):
    id: int
    name: str


class UserEmbedded(msgspec.Struct, kw_only=True):
    roles: list[NamedRef] | UnsetType = UNSET
    groups: list[NamedRef] | UnsetType = UNSET


class User(msgspec.Struct, kw_only=True):
    id: int
    name: str
    email: str
    lang: str
    uuid: str | UnsetType | None = UNSET
    amojo_id: str | UnsetType | None = UNSET
    user_rank: str | UnsetType | None = UNSET
    phone_number: str | UnsetType | None = UNSET
    rights: UserRights
    links: SelfLinks = msgspec.field(name="_links")
    embedded: UserEmbedded | UnsetType = msgspec.field(default=UNSET, name="_embedded")


encoder = msgspec.json.Encoder()
