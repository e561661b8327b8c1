"""HAL pieces shared by every resource: ``_links`` and the ``application/hal+json`` response."""

from __future__ import annotations

import msgspec
from starlette.responses import Response

HAL_JSON = "application/hal+json"


class Href(msgspec.Struct, frozen=True):
    href: str


class SelfLinks(msgspec.Struct, frozen=True):
    self_: Href = msgspec.field(name="self")


def self_links(href: str) -> SelfLinks:
    return SelfLinks(Href(href))


def hal_response(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type=HAL_JSON)


NO_CONTENT = 204


def no_content() -> Response:
    """Kommo's "nothing to return": 204 with an empty body and no content type."""
    return Response(status_code=NO_CONTENT)
