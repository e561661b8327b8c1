"""Lead links as ``GET /api/v4/leads/{id}/links`` and ``/leads/links`` list them."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class ContactMetadata(msgspec.Struct, kw_only=True):
    main_contact: bool


class ElementMetadata(msgspec.Struct, kw_only=True):
    quantity: int | float
    catalog_id: int
    price_id: int | UnsetType = UNSET


Metadata = ContactMetadata | ElementMetadata | None


class Link(msgspec.Struct, kw_only=True):
    """``entity_id``/``entity_type`` appear only on the multi-lead endpoint."""

    entity_id: int | UnsetType = UNSET
    entity_type: str | UnsetType = UNSET
    to_entity_id: int
    to_entity_type: str
    metadata: ContactMetadata | ElementMetadata | None
