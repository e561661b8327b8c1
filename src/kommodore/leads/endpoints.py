"""HTTP endpoints for leads: parse the request, call the service, answer in Kommo's shapes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from kommodore.context import AppContext
from kommodore.http.auth import principal_of
from kommodore.http.hal import hal_response, no_content
from kommodore.http.origin import request_origin
from kommodore.http.query import with_values
from kommodore.leads import service


async def get_lead(request: Request) -> Response:
    """``GET /api/v4/leads/{id}`` (spec §2)."""
    ctx: AppContext = request.app.state.ctx
    lead_id: int = request.path_params["lead_id"]
    with_ = with_values(request.query_params)
    origin = request_origin(request, ctx.settings.trust_forwarded_headers)
    async with ctx.db.connection() as conn:
        principal = await principal_of(request, conn, ctx)
        body = await service.read_lead(conn, principal, lead_id, with_, origin)
    return no_content() if body is None else hal_response(body)
