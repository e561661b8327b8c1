"""The answer to a request no route serves: Kommo's 404 names the method and the full URL
(``"detail": "Cannot GET https://subdomain.kommo.com/example"``, observed on Kommo)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from kommodore.http.origin import request_origin
from kommodore.http.problems import problem_response

_ENTITY_SUBRESOURCE = re.compile(
    r"^/api/v4/[^/]+(?:/[^/]+)?/(?:notes|tags|custom_fields|links|link|unlink)(?:/.*)?$"
)
"""A path of the shape of ``/api/v4/{entity_type}[/{id}]/notes|tags|custom_fields|links...``:
an entity type no route serves there answers ``"Not Found"`` (our choice, docs/compatibility.md),
as a missing sub-resource does, rather than naming the URL."""


def unknown_url(request: Request, trust_forwarded: bool) -> str:
    """Origin, path and query string as the client sent them (the path still percent-encoded,
    as Kommo's detail shows it)."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.scope["path"]
    query = bytes(request.scope.get("query_string", b"")).decode("latin-1")
    return f"{request_origin(request, trust_forwarded)}{path}" + (f"?{query}" if query else "")


def unknown_route(request: Request, trust_forwarded: bool) -> Response:
    """404 problem: ``Cannot {METHOD} {url}``; ``Not Found`` for an unknown entity type in a
    notes, tags, custom fields or links path."""
    if _ENTITY_SUBRESOURCE.match(request.scope["path"]):
        return problem_response(404, "Not Found")
    return problem_response(404, f"Cannot {request.method} {unknown_url(request, trust_forwarded)}")
