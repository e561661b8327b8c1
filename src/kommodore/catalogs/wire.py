"""Catalogs and their elements in the key order of Kommo's API: the stored row's columns
(:mod:`kommodore.catalogs.store`, in this order), then what the answer adds."""

from __future__ import annotations

from typing import Any

import msgspec

from kommodore.http.hal import SelfLinks


class Catalog(msgspec.Struct):
    id: int
    name: str
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    sort: int
    type: str
    can_add_elements: bool
    can_show_in_cards: bool
    can_link_multiple: bool
    can_be_deleted: bool
    sdk_widget_code: str | None
    account_id: int
    links: SelfLinks = msgspec.field(name="_links")


class Element(msgspec.Struct):
    id: int
    catalog_id: int
    name: str
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    is_deleted: bool
    custom_fields_values: list[Any] | None
    account_id: int
    links: SelfLinks = msgspec.field(name="_links")
