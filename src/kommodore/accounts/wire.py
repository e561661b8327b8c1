"""The account as Kommo puts it on the wire, in Kommo's key order.

The base fields are always present (the PHP SDK reads them without ``isset``); each ``with``
value adds its key, and ``UNSET`` keeps the others out of the JSON. The extras kept in
``accounts.settings`` are free-form JSON objects and pass through as such.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import SelfLinks


class UserGroup(msgspec.Struct, kw_only=True):
    id: int
    name: str
    uuid: str | None


class AccountEmbedded(msgspec.Struct, kw_only=True):
    amojo_rights: dict[str, Any] | UnsetType = UNSET
    users_groups: list[UserGroup] | UnsetType = UNSET
    task_types: list[dict[str, Any]] | UnsetType = UNSET
    datetime_settings: dict[str, Any] | UnsetType = UNSET


class Account(msgspec.Struct, kw_only=True):
    """Kommo's order: ``mobile_feature_version`` right after ``is_unsorted_on`` (as real
    answers have it), ``is_api_filter_enabled`` before ``contact_name_display_order``, then
    ``amojo_id``, ``uuid``, ``drive_url``, ``version`` (Kommo's example)."""

    id: int
    name: str
    subdomain: str
    created_at: int
    created_by: int
    updated_at: int
    updated_by: int
    current_user_id: int
    country: str
    currency: str
    currency_symbol: str
    customers_mode: str
    is_unsorted_on: bool
    mobile_feature_version: int
    is_loss_reason_enabled: bool
    is_helpbot_enabled: bool
    is_technical_account: bool
    is_api_filter_enabled: bool | UnsetType = UNSET
    contact_name_display_order: int
    amojo_id: str | UnsetType | None = UNSET
    uuid: str | UnsetType = UNSET
    """Sent with ``with=amojo_id``, as Kommo does."""
    drive_url: str | UnsetType = UNSET
    version: int | UnsetType = UNSET
    entity_names: dict[str, Any] | UnsetType = UNSET
    invoices_settings: dict[str, Any] | UnsetType = UNSET
    links: SelfLinks = msgspec.field(name="_links")
    embedded: AccountEmbedded | UnsetType = msgspec.field(default=UNSET, name="_embedded")


encoder = msgspec.json.Encoder()
