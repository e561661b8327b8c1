"""HTTP endpoints of the events API; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.events import service
from kommodore.events.filters import event_query
from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response, no_content
from kommodore.http.paging import page_of
from kommodore.http.phpquery import as_list


async def list_events(request: Request) -> Response:
    """``GET /api/v4/events``: every user, limited to the leads they may view."""
    async with api_request(request) as api:
        query = event_query(api.params)
        page = page_of(api.params, service.MAX_LIMIT)
        body = await service.list_events(
            api.conn, api.principal, query, api.with_, page, api.origin, api.url, api.query
        )
    return no_content() if body is None else hal_response(body)


async def get_event(request: Request) -> Response:
    """``GET /api/v4/events/{id}``."""
    event_id: str = request.path_params["event_id"]
    async with api_request(request) as api:
        body = await service.read_event(api.conn, api.principal, event_id, api.with_, api.origin)
    return no_content() if body is None else hal_response(body)


async def list_event_types(request: Request) -> Response:
    """``GET /api/v4/events/types``: ``language_code`` picks the labels' language."""
    async with api_request(request) as api:
        codes = as_list(api.params.get("language_code"))
        body = await service.event_types(
            api.conn, api.principal, codes[0] if codes else None, api.url, api.query
        )
    return hal_response(body)


routes: list[BaseRoute] = [
    Route("/api/v4/events", list_events, methods=["GET"]),
    Route("/api/v4/events/types", list_event_types, methods=["GET"]),
    Route("/api/v4/events/{event_id:str}", get_event, methods=["GET"]),
]
