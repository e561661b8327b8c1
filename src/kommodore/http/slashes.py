"""The trailing-slash redirect, built from the path alone.

Starlette's own redirect writes the request's Host header into ``Location``, so anyone could
make kommodore answer with a link to a host of their choosing. A relative ``Location`` (RFC 9110
allows it) keeps the client on the origin it already talks to.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match


def slash_redirect(request: Request) -> Response | None:
    """A 307 to the same path with the trailing slash added or removed, when that path is
    served; None otherwise."""
    path: str = request.scope["path"]
    if path == "/":
        return None
    other = path.rstrip("/") if path.endswith("/") else path + "/"
    if not other:
        return None
    scope = {**request.scope, "path": other}
    for route in request.app.router.routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            query = request.scope.get("query_string", b"").decode("latin-1")
            location = quote(other) + (f"?{query}" if query else "")
            return RedirectResponse(location, status_code=307)
    return None
