"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.custom_fields import service
from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response, no_content
from kommodore.http.paging import page_of


async def list_fields(request: Request) -> Response:
    """``GET /api/v4/leads/custom_fields`` (spec §10.3): every user, 50 per page at most."""
    async with api_request(request) as api:
        body = await service.list_fields(
            api.conn,
            api.account_id,
            service.types_of(api.params),
            service.order_of(api.params),
            page_of(api.params, service.MAX_LIMIT),
            api.origin,
            api.url,
            api.query,
        )
    return no_content() if body is None else hal_response(body)


async def get_field(request: Request) -> Response:
    """``GET /api/v4/leads/custom_fields/{id}``: an unknown id is a 404 problem."""
    field_id: int = request.path_params["field_id"]
    async with api_request(request) as api:
        body = await service.read_field(api.conn, api.account_id, field_id, api.origin)
    return hal_response(body)


routes: list[BaseRoute] = [
    Route("/api/v4/leads/custom_fields", list_fields, methods=["GET"]),
    Route("/api/v4/leads/custom_fields/{field_id:int}", get_field, methods=["GET"]),
]
