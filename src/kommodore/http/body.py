"""Request bodies as Kommo reads them: JSON by content, whatever the Content-Type says.

Clients send JSON with no Content-Type, as form-encoded, or chunked without a length
(wire-rules), so the body is never judged by its headers. Bad bodies answer §9.3's 400s and an
oversized batch §9.1's 422, before anything is looked up or written.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request

from kommodore.http.problems import Problem

MAX_BODY_BYTES = 32 * 1024 * 1024
"""250 leads with 40 values each fit in a few MB; anything far larger is not a batch."""

EMPTY = "Request data can not be empty"


async def read_body(request: Request) -> bytes:
    """The raw body, streamed so an oversized one is refused before it is all in memory."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Problem(413, "Request Entity Too Large")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """Decode a body; an empty one (or JSON ``null``) is §9.3's "Request data can not be
    empty", anything that is not JSON a 400 saying so."""
    if not raw.strip():
        raise Problem(400, EMPTY)
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise Problem(400, "Request body is not valid JSON") from None
    if data is None:
        raise Problem(400, EMPTY)
    return data


def batch_of(data: Any, max_items: int) -> list[Any]:
    """The items of a batch body: a JSON array of 1..``max_items`` entries. A single object is
    taken as a batch of one (a Kommo docs sample posts one; spec open question 5)."""
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise Problem(400, "Request data must be an array of objects")
    if not data:
        raise Problem(400, EMPTY)
    if len(data) > max_items:
        raise Problem(422, f"Limit {max_items} per page")
    return data


def object_of(data: Any) -> dict[str, Any]:
    """The body of a single-entity write (``PATCH /leads/{id}``): one JSON object."""
    if not isinstance(data, dict):
        raise Problem(400, "Request data must be an object")
    if not data:
        raise Problem(400, EMPTY)
    return data
