"""HAL pieces shared by every resource: ``_links`` and the ``application/hal+json`` response."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType
from starlette.responses import Response

HAL_JSON = "application/hal+json"


class Href(msgspec.Struct, frozen=True):
    href: str


class SelfLinks(msgspec.Struct, frozen=True):
    self_: Href = msgspec.field(name="self")


class TagRef(msgspec.Struct, kw_only=True):
    """A tag as an entity embeds it (leads, contacts, companies)."""

    id: int
    name: str
    color: str | None


class CompanyRef(msgspec.Struct, kw_only=True):
    """A company as an entity embeds it: its id and a link to it."""

    id: int
    links: SelfLinks = msgspec.field(name="_links")


class CatalogElementMetadata(msgspec.Struct, kw_only=True):
    quantity: int | float
    catalog_id: int
    price_id: int | UnsetType = UNSET


class CatalogElementRef(msgspec.Struct, kw_only=True):
    """A catalog element as a lead, contact or company embeds it, with its link's metadata."""

    id: int
    metadata: CatalogElementMetadata


def element_ref(
    element_id: int, catalog_id: int, quantity: float, price_id: int | None
) -> CatalogElementRef:
    """``price_id`` only when set; a whole quantity as an int (``2``, not ``2.0``), as Kommo
    writes it."""
    whole = int(quantity) if isinstance(quantity, float) and quantity.is_integer() else quantity
    metadata = CatalogElementMetadata(quantity=whole, catalog_id=catalog_id)
    if price_id is not None:
        metadata.price_id = price_id
    return CatalogElementRef(id=element_id, metadata=metadata)


def self_links(href: str) -> SelfLinks:
    return SelfLinks(Href(href))


def hal_response(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type=HAL_JSON)


NO_CONTENT = 204


def no_content() -> Response:
    """Kommo's "nothing to return": 204 with an empty body and no content type."""
    return Response(status_code=NO_CONTENT)


_encoder = msgspec.json.Encoder()


def collection_body(
    key: str,
    items: Sequence[Any],
    links: dict[str, Href],
    *,
    page: int | None = None,
    total_items: int | None = None,
    page_count: int | None = None,
) -> bytes:
    """A HAL collection in Kommo's key order: ``_total_items``, ``_page``, ``_page_count``,
    ``_links``, ``_embedded``; each counter only where the endpoint's envelope has it."""
    body: dict[str, Any] = {}
    if total_items is not None:
        body["_total_items"] = total_items
    if page is not None:
        body["_page"] = page
    if page_count is not None:
        body["_page_count"] = page_count
    body["_links"] = links
    body["_embedded"] = {key: items}
    return _encoder.encode(body)
