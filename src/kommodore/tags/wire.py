"""A lead tag as ``GET /api/v4/leads/tags`` lists it (spec §12.1)."""

from __future__ import annotations

import msgspec


class Tag(msgspec.Struct, kw_only=True):
    id: int
    name: str
    color: str | None
