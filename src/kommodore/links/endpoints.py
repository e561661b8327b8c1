"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response, no_content
from kommodore.links import service


async def lead_links(request: Request) -> Response:
    """``GET /api/v4/leads/{id}/links`` (spec §12.4)."""
    lead_id: int = request.path_params["lead_id"]
    async with api_request(request) as api:
        body = await service.lead_links(
            api.conn,
            api.principal,
            lead_id,
            service.link_filter(api.params),
            api.url,
            api.query,
        )
    return no_content() if body is None else hal_response(body)


async def many_links(request: Request) -> Response:
    """``GET /api/v4/leads/links?filter[entity_id][]=…`` (spec §12.4); without
    ``filter[entity_id]`` a 400 problem."""
    async with api_request(request) as api:
        ids = service.entity_ids(api.params)
        body = await service.many_links(
            api.conn, api.principal, ids, service.link_filter(api.params), api.url, api.query
        )
    return no_content() if body is None else hal_response(body)


routes: list[BaseRoute] = [
    Route("/api/v4/leads/links", many_links, methods=["GET"]),
    Route("/api/v4/leads/{lead_id:int}/links", lead_links, methods=["GET"]),
]
