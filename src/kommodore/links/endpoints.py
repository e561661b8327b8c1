"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.body import batch_of
from kommodore.http.hal import hal_response, no_content
from kommodore.links import service

MAX_ITEMS = 250


async def lead_links(request: Request) -> Response:
    """``GET /api/v4/leads/{id}/links``."""
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
    """``GET /api/v4/leads/links?filter[entity_id][]=…``; without
    ``filter[entity_id]`` a 400 problem."""
    async with api_request(request) as api:
        ids = service.entity_ids(api.params)
        body = await service.many_links(
            api.conn, api.principal, ids, service.link_filter(api.params), api.url, api.query
        )
    return no_content() if body is None else hal_response(body)


async def _link(request: Request, lead_id: int | None) -> Response:
    async with api_request(request) as api:
        items = batch_of(await api.json(), MAX_ITEMS)
        async with api.transaction() as conn:
            body = await service.link(conn, api.principal, items, lead_id, api.url, api.query)
    return hal_response(body)


async def _unlink(request: Request, lead_id: int | None) -> Response:
    async with api_request(request) as api:
        items = batch_of(await api.json(), MAX_ITEMS)
        async with api.transaction() as conn:
            await service.unlink(conn, api.principal, items, lead_id)
    return no_content()


async def link_lead(request: Request) -> Response:
    """``POST /api/v4/leads/{id}/link``: 200 with the links as written."""
    lead_id: int = request.path_params["lead_id"]
    return await _link(request, lead_id)


async def link_many(request: Request) -> Response:
    """``POST /api/v4/leads/link``: each item names its lead in ``entity_id``."""
    return await _link(request, None)


async def unlink_lead(request: Request) -> Response:
    """``POST /api/v4/leads/{id}/unlink``: 204."""
    lead_id: int = request.path_params["lead_id"]
    return await _unlink(request, lead_id)


async def unlink_many(request: Request) -> Response:
    """``POST /api/v4/leads/unlink``: 204; each item names its lead in ``entity_id``."""
    return await _unlink(request, None)


routes: list[BaseRoute] = [
    Route("/api/v4/leads/links", many_links, methods=["GET"]),
    Route("/api/v4/leads/{lead_id:int}/links", lead_links, methods=["GET"]),
    Route("/api/v4/leads/link", link_many, methods=["POST"]),
    Route("/api/v4/leads/unlink", unlink_many, methods=["POST"]),
    Route("/api/v4/leads/{lead_id:int}/link", link_lead, methods=["POST"]),
    Route("/api/v4/leads/{lead_id:int}/unlink", unlink_lead, methods=["POST"]),
]
