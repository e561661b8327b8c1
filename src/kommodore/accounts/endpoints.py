"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.accounts import service
from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response


async def get_account(request: Request) -> Response:
    """``GET /api/v4/account``: open to every user of the account."""
    async with api_request(request) as api:
        body = await service.read_account(api.conn, api.principal, api.with_, api.origin)
    return hal_response(body)


routes: list[BaseRoute] = [
    Route("/api/v4/account", get_account, methods=["GET"]),
]
