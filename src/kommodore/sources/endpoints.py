"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response, no_content
from kommodore.sources import service


async def list_sources(request: Request) -> Response:
    """``GET /api/v4/sources`` (spec §12.3): admins only; 204 when none match."""
    async with api_request(request) as api:
        api.require_admin()
        body = await service.list_sources(
            api.conn, api.principal, api.params, api.url, api.query, api.origin
        )
    return no_content() if body is None else hal_response(body)


async def get_source(request: Request) -> Response:
    """``GET /api/v4/sources/{id}``: admins only; unknown or another integration's is 204."""
    source_id: int = request.path_params["source_id"]
    async with api_request(request) as api:
        api.require_admin()
        body = await service.read_source(api.conn, api.principal, source_id, api.origin)
    return no_content() if body is None else hal_response(body)


routes: list[BaseRoute] = [
    Route("/api/v4/sources", list_sources, methods=["GET"]),
    Route("/api/v4/sources/{source_id:int}", get_source, methods=["GET"]),
]
