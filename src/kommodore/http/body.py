"""Request bodies as Kommo reads them, read once and bounded before anything else runs.

Clients send JSON with no Content-Type, as form-encoded, or chunked without a length
(wire-rules), so a JSON body is never judged by its headers. Every way a body can be bad (too
large, too slow, not UTF-8, not JSON, nested past :data:`MAX_DEPTH`) ends here as a 400 or 413
problem+json, never as an exception further in. Endpoints that answer before login read at most
:data:`PUBLIC_BODY_BYTES`: a stranger can make the server hold a few kilobytes, no more.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from kommodore.http.problems import Problem

MAX_BODY_BYTES = 8 * 1024 * 1024
"""An authenticated write: 250 leads with 40 values each are about 0.6 MB; 8 MB leaves room for
long texts and is still far from what decoding could turn into gigabytes."""

PUBLIC_BODY_BYTES = 16 * 1024
"""Before login (the token endpoint, the sign-in forms) a body holds a few short fields."""

BODY_TIMEOUT_SECONDS = 30.0
"""A body that has not arrived whole by then is not coming: the request ends with a 408."""

MAX_DEPTH = 32
"""The deepest Kommo body (a complex add's contact values) nests 10 levels."""

MAX_FIELDS = 100
"""Fields of a form; the longest of ours has five."""

EMPTY = "Request data can not be empty"
TOO_LARGE = "Request Entity Too Large"
NOT_JSON = "Request body is not valid JSON"

_NOT_STRUCTURE = bytes(i for i in range(256) if i not in b'[]{}"')


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise Problem(400, "Invalid Content-Length") from None


async def _stream(request: Request, limit: int) -> bytes:
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise Problem(413, TOO_LARGE)  # refused before a byte of it is read
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem(413, TOO_LARGE)
            chunks.append(chunk)
    except ClientDisconnect:
        raise Problem(400, "Request body is incomplete") from None
    return b"".join(chunks)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, at most ``limit`` bytes and within :data:`BODY_TIMEOUT_SECONDS`: an
    oversized one is refused by its Content-Length or as soon as it passes the limit, never
    buffered whole."""
    try:
        async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
            return await _stream(request, limit)
    except TimeoutError:
        raise Problem(408, "Request Timeout") from None


def depth_within(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether valid JSON ``raw`` nests at most ``limit`` arrays and objects deep.

    Works on the bytes at C speed (about a third of decoding's cost): escaped quotes go, the
    strings go, what is left is brackets, and each pass strips one level of empty pairs."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return True
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    shape = raw.translate(None, _NOT_STRUCTURE)
    if b'"' in shape:
        shape = b"".join(shape.split(b'"')[::2])
    for _ in range(limit):
        if not shape:
            return True
        shape = shape.replace(b"{}", b"").replace(b"[]", b"")
    return not shape


def decode_json(raw: bytes) -> Any:
    """Decode JSON text; every failure (bad syntax, bytes that are not UTF-8, numbers out of
    range, nesting past :data:`MAX_DEPTH`) is the same 400."""
    too_deep = Problem(400, f"Request body nests deeper than {MAX_DEPTH} levels")
    try:
        data = msgspec.json.decode(raw)
    except RecursionError:
        raise too_deep from None
    except (msgspec.DecodeError, UnicodeDecodeError, ValueError):
        raise Problem(400, NOT_JSON) from None
    if isinstance(data, (list, dict)) and not depth_within(raw):
        raise too_deep
    return data


def parse_json(raw: bytes) -> Any:
    """Decode a body; an empty one (or JSON ``null``) is Kommo's "Request data can not be
    empty", anything that is not JSON a 400 saying so."""
    if not raw.strip():
        raise Problem(400, EMPTY)
    data = decode_json(raw)
    if data is None:
        raise Problem(400, EMPTY)
    return data


async def read_form(request: Request, limit: int = PUBLIC_BODY_BYTES) -> FormData:
    """A urlencoded or multipart form read through :func:`read_body`: the multipart parser only
    ever sees the bounded bytes, so no part can spill into a temporary file. Text that is not
    UTF-8 and malformed multipart give an empty form (every field then reads as missing)."""
    raw = await read_body(request, limit)
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        return await _multipart(request.headers, raw)
    try:
        pairs: list[tuple[str, str | UploadFile]] = list(
            parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
        )
        return FormData(pairs)
    except (UnicodeDecodeError, ValueError):  # not UTF-8, or more fields than any form has
        return FormData()


async def _multipart(headers: Headers, raw: bytes) -> FormData:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield raw

    parser = MultiPartParser(headers, stream(), max_files=0, max_fields=MAX_FIELDS)
    try:
        return await parser.parse()
    except (MultiPartException, ValueError, UnicodeDecodeError):
        return FormData()


def batch_of(data: Any, max_items: int) -> list[Any]:
    """The items of a batch body: a JSON array of 1..``max_items`` entries. A single object is
    taken as a batch of one (a Kommo docs sample posts one)."""
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
