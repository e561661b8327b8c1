"""The source as Kommo puts it on the wire, in Kommo's key order.

``services`` is stored as JSON and passes through as it was written.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import SelfLinks


class Source(msgspec.Struct, kw_only=True):
    id: int
    name: str
    pipeline_id: int
    external_id: str
    default: bool
    origin_code: str | None
    services: list[Any]
    request_id: str | UnsetType = UNSET
    """Only in write answers; left out of reads."""
    links: SelfLinks = msgspec.field(name="_links")


encoder = msgspec.json.Encoder()
