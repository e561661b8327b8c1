"""One item of a link or unlink body, type-checked before anything is looked up.

Link and unlink items read the same way, so an item that links can unlink what it linked;
``quantity``, ``price_id`` and ``is_main`` are checked on unlink too but change nothing there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from msgspec import UNSET, UnsetType

from kommodore.http.validation import ItemErrors, Reader

TO_ENTITY_TYPES = ("contacts", "companies", "catalog_elements")
CONTACTS, COMPANIES, ELEMENTS = TO_ENTITY_TYPES
DEFAULT_QUANTITY = 1.0


@dataclass(slots=True)
class LinkInput:
    """A typed item; a field is None where it was absent or wrong (the error is recorded)."""

    index: int
    errors: ItemErrors
    entity_id: int | None
    """The lead (or, from a contact's or company's side, the contact or company) the item
    links from."""
    to_id: int | None = None
    to_type: str | None = None
    is_main: bool | None = None
    catalog_id: int | None = None
    quantity: float | None = None
    price_id: int | UnsetType | None = UNSET
    """UNSET: not sent (kept on an existing link); None: sent as null (cleared)."""
    updated_by: int | None = None

    @property
    def valid(self) -> bool:
        return not self.errors.errors


def read_link(
    item: Any, index: int, errors: ItemErrors, *, path_lead_id: int | None
) -> LinkInput | None:
    """``path_lead_id`` is the ``{id}`` of ``/leads/{id}/link``; without it the item names its
    lead in ``entity_id`` (``/leads/link``). None when the item is not even an object."""
    if not isinstance(item, dict):
        errors.invalid_type("", "object")
        return None
    r = Reader(item, errors)
    link = LinkInput(index=index, errors=errors, entity_id=path_lead_id)
    if path_lead_id is None:
        link.entity_id = _required_id(r, "entity_id")
        entity_type = r.string("entity_type")
        if entity_type is not None and entity_type != "leads":
            errors.not_supported("entity_type")
    link.to_id = _required_id(r, "to_entity_id")
    if not r.has("to_entity_type"):
        errors.missing("to_entity_type")
    elif (to_type := r.string("to_entity_type")) is not None:
        if to_type in TO_ENTITY_TYPES:
            link.to_type = to_type
        else:
            errors.not_supported("to_entity_type")
    metadata = r.nested("metadata")
    if metadata is not None:
        link.is_main = metadata.boolean("is_main")
        link.catalog_id = metadata.id("catalog_id")
        link.quantity = _quantity(metadata, "quantity")
        if metadata.is_null("price_id"):
            link.price_id = None
        elif metadata.has("price_id"):
            link.price_id = metadata.id("price_id")
        link.updated_by = metadata.integer("updated_by")
    if link.to_type == ELEMENTS and (metadata is None or not metadata.has("catalog_id")):
        errors.missing("metadata.catalog_id")
    return link


def _required_id(r: Reader, key: str) -> int | None:
    if not r.has(key):
        r.errors.missing(r.path(key))
        return None
    return r.id(key)


def _quantity(r: Reader, key: str) -> float | None:
    """A number >= 0, integer or not; it is stored as a double, so it must be finite."""
    value = r.data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        r.errors.invalid_type(r.path(key), "float")
        return None
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        r.errors.invalid(r.path(key), "This value is too large.")
        return None
    if number < 0:
        r.errors.invalid(r.path(key), "This value should be greater than or equal to 0.")
        return None
    return number
