"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response, no_content
from kommodore.loss_reasons import service


async def list_loss_reasons(request: Request) -> Response:
    """``GET /api/v4/leads/loss_reasons`` (spec §12.2): 204 when the account has none."""
    async with api_request(request) as api:
        body = await service.list_loss_reasons(
            api.conn, api.account_id, api.url, api.query, api.origin
        )
    return no_content() if body is None else hal_response(body)


async def get_loss_reason(request: Request) -> Response:
    """``GET /api/v4/leads/loss_reasons/{id}``: unknown is 404 "Loss reason not found"."""
    reason_id: int = request.path_params["reason_id"]
    async with api_request(request) as api:
        body = await service.read_loss_reason(api.conn, api.account_id, reason_id, api.origin)
    return hal_response(body)


routes: list[BaseRoute] = [
    Route("/api/v4/leads/loss_reasons", list_loss_reasons, methods=["GET"]),
    Route("/api/v4/leads/loss_reasons/{reason_id:int}", get_loss_reason, methods=["GET"]),
]
