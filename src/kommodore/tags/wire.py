"""A lead tag as ``GET /api/v4/leads/tags`` lists it and ``POST`` answers it."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class Tag(msgspec.Struct, kw_only=True):
    id: int
    name: str
    color: str | None
    request_id: str | UnsetType = UNSET
    """Only in the add answer."""
