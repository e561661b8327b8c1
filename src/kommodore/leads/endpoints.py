"""HTTP endpoints for leads: parse the request, call the service, answer in Kommo's shapes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response, no_content
from kommodore.http.paging import page_of
from kommodore.leads import service
from kommodore.leads.filters import lead_query

MAX_LIMIT = 250


async def get_lead(request: Request) -> Response:
    """``GET /api/v4/leads/{id}`` (spec §2)."""
    lead_id: int = request.path_params["lead_id"]
    async with api_request(request) as api:
        body = await service.read_lead(api.conn, api.principal, lead_id, api.with_, api.origin)
    return no_content() if body is None else hal_response(body)


async def list_leads(request: Request) -> Response:
    """``GET /api/v4/leads`` (spec §3)."""
    async with api_request(request) as api:
        query = lead_query(api.params, api.with_)
        page = page_of(api.params, MAX_LIMIT)
        body = await service.list_leads(
            api.conn, api.principal, query, api.with_, page, api.origin, api.url, api.query
        )
    return no_content() if body is None else hal_response(body)


routes: list[BaseRoute] = [
    Route("/api/v4/leads", list_leads, methods=["GET"]),
    Route("/api/v4/leads/{lead_id:int}", get_lead, methods=["GET"]),
]
