"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.body import batch_of, object_of
from kommodore.http.directory import self_href
from kommodore.http.hal import hal_response, no_content
from kommodore.loss_reasons import service


async def list_loss_reasons(request: Request) -> Response:
    """``GET /api/v4/leads/loss_reasons``: 204 when the account has none."""
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


async def add_loss_reasons(request: Request) -> Response:
    """``POST /api/v4/leads/loss_reasons``: admins only; a batch of up to 250, all or nothing."""
    async with api_request(request) as api:
        api.require_admin()
        reasons = service.parse_new_reasons(batch_of(await api.json(), service.MAX_BATCH))
        async with api.transaction() as conn:
            body = await service.add_loss_reasons(
                conn, api.account_id, reasons, self_href(api.url, api.query), api.origin
            )
    return hal_response(body)


async def update_loss_reason(request: Request) -> Response:
    """``PATCH /api/v4/leads/loss_reasons/{id}``: admins only; one object, 404 when unknown."""
    reason_id: int = request.path_params["reason_id"]
    async with api_request(request) as api:
        api.require_admin()
        change = service.parse_change(object_of(await api.json()))
        async with api.transaction() as conn:
            body = await service.update_loss_reason(
                conn, api.account_id, reason_id, change, api.origin
            )
    return hal_response(body)


async def delete_loss_reason(request: Request) -> Response:
    """``DELETE /api/v4/leads/loss_reasons/{id}``: admins only; 204, 404 when unknown. Any
    body is ignored."""
    reason_id: int = request.path_params["reason_id"]
    async with api_request(request) as api:
        api.require_admin()
        async with api.transaction() as conn:
            await service.delete_loss_reason(
                conn, api.account_id, reason_id, api.principal.actor.user_id
            )
    return no_content()


routes: list[BaseRoute] = [
    Route("/api/v4/leads/loss_reasons", list_loss_reasons, methods=["GET"]),
    Route("/api/v4/leads/loss_reasons", add_loss_reasons, methods=["POST"]),
    Route("/api/v4/leads/loss_reasons/{reason_id:int}", get_loss_reason, methods=["GET"]),
    Route("/api/v4/leads/loss_reasons/{reason_id:int}", update_loss_reason, methods=["PATCH"]),
    Route("/api/v4/leads/loss_reasons/{reason_id:int}", delete_loss_reason, methods=["DELETE"]),
]
