"""HTTP endpoints for leads: parse the request, call the service, answer in Kommo's shapes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response, no_content
from kommodore.leads import service


async def get_lead(request: Request) -> Response:
    """``GET /api/v4/leads/{id}`` (spec §2)."""
    lead_id: int = request.path_params["lead_id"]
    async with api_request(request) as api:
        body = await service.read_lead(api.conn, api.principal, lead_id, api.with_, api.origin)
    return no_content() if body is None else hal_response(body)


routes: list[BaseRoute] = [
    Route("/api/v4/leads/{lead_id:int}", get_lead, methods=["GET"]),
]
