"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.body import batch_of
from kommodore.http.directory import (
    edit_one,
    read_all,
    read_one,
    remove,
    routes_of,
    self_href,
    write,
)
from kommodore.loss_reasons import service


async def list_loss_reasons(request: Request) -> Response:
    """``GET /api/v4/leads/loss_reasons``: 204 when the account has none."""
    return await read_all(request, service.list_loss_reasons)


async def get_loss_reason(request: Request) -> Response:
    """``GET /api/v4/leads/loss_reasons/{id}``: unknown is 404 "Loss reason not found"."""
    return await read_one(request, "reason_id", service.read_loss_reason)


async def add_loss_reasons(request: Request) -> Response:
    """``POST /api/v4/leads/loss_reasons``: admins only; a batch of up to 250, all or nothing."""
    return await write(
        request,
        lambda data: service.parse_new_reasons(batch_of(data, service.MAX_BATCH)),
        lambda api, conn, reasons: service.add_loss_reasons(
            conn, api.account_id, reasons, self_href(api.url, api.query), api.origin
        ),
    )


async def update_loss_reason(request: Request) -> Response:
    """``PATCH /api/v4/leads/loss_reasons/{id}``: admins only; one object, 404 when unknown."""
    return await edit_one(request, "reason_id", service.parse_change, service.update_loss_reason)


async def delete_loss_reason(request: Request) -> Response:
    """``DELETE /api/v4/leads/loss_reasons/{id}``: admins only; 204, 404 when unknown. Any
    body is ignored."""
    reason_id: int = request.path_params["reason_id"]
    return await remove(
        request,
        lambda api, conn: service.delete_loss_reason(
            conn, api.account_id, reason_id, api.principal.actor.user_id
        ),
    )


routes: list[BaseRoute] = routes_of(
    ("/api/v4/leads/loss_reasons", {"GET": list_loss_reasons, "POST": add_loss_reasons}),
    (
        "/api/v4/leads/loss_reasons/{reason_id:int}",
        {"GET": get_loss_reason, "PATCH": update_loss_reason, "DELETE": delete_loss_reason},
    ),
)
