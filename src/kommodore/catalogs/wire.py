"""Catalogs and their elements in the key order of Kommo's API: the stored row
(:mod:`kommodore.catalogs.store`), extended by what the answer adds."""

from __future__ import annotations

from typing import Any

import msgspec

from kommodore.catalogs.store import CatalogRow, ElementRow
from kommodore.http.hal import SelfLinks


class Catalog(CatalogRow, kw_only=True):
    account_id: int
    links: SelfLinks = msgspec.field(name="_links")


class Element(ElementRow, kw_only=True):
    custom_fields_values: list[Any] | None
    catalog_id: int
    account_id: int
    links: SelfLinks = msgspec.field(name="_links")


encoder = msgspec.json.Encoder()
