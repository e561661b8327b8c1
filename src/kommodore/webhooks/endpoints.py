"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.context import AppContext
from kommodore.http.directory import read, routes_of, write
from kommodore.outbound import OutboundPolicy
from kommodore.webhooks import service


async def list_webhooks(request: Request) -> Response:
    """``GET /api/v4/webhooks``: admins only; 204 when there is none."""
    return await read(
        request,
        lambda api: service.list_webhooks(api.conn, api.account_id, api.params),
        admin=True,
    )


async def add_webhook(request: Request) -> Response:
    """``POST /api/v4/webhooks``: admins only; 201 with the webhook, created or updated."""
    ctx: AppContext = request.app.state.ctx
    return await write(
        request,
        lambda data: service.parse_webhook(data, OutboundPolicy.from_settings(ctx.settings)),
        lambda api, conn, hook: service.save_webhook(
            conn, api.account_id, api.principal.actor.user_id, hook
        ),
        status_code=201,
    )


async def delete_webhook(request: Request) -> Response:
    """``DELETE /api/v4/webhooks`` with ``{"destination"}``: admins only; 204, 404 unknown."""
    return await write(
        request,
        service.parse_destination,
        lambda api, conn, destination: service.delete_webhook(conn, api.account_id, destination),
    )


routes: list[BaseRoute] = routes_of(
    ("/api/v4/webhooks", {"GET": list_webhooks, "POST": add_webhook, "DELETE": delete_webhook}),
)
