"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.auth import api_request
from kommodore.http.directory import read, routes_of
from kommodore.http.hal import hal_response, no_content
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
    async with api_request(request) as api:
        api.require_admin()
        outbound = OutboundPolicy.from_settings(api.ctx.settings)
        hook = service.parse_webhook(await api.json(), outbound)
        async with api.transaction() as conn:
            body = await service.save_webhook(
                conn, api.account_id, api.principal.actor.user_id, hook
            )
    return hal_response(body, status_code=201)


async def delete_webhook(request: Request) -> Response:
    """``DELETE /api/v4/webhooks`` with ``{"destination"}``: admins only; 204, 404 unknown."""
    async with api_request(request) as api:
        api.require_admin()
        destination = service.parse_destination(await api.json())
        async with api.transaction() as conn:
            await service.delete_webhook(conn, api.account_id, destination)
    return no_content()


routes: list[BaseRoute] = routes_of(
    ("/api/v4/webhooks", {"GET": list_webhooks, "POST": add_webhook, "DELETE": delete_webhook}),
)
