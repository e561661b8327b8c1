"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.accounts import service
from kommodore.http.directory import read, routes_of


async def get_account(request: Request) -> Response:
    """``GET /api/v4/account``: open to every user of the account."""
    return await read(
        request, lambda api: service.read_account(api.conn, api.principal, api.with_, api.origin)
    )


routes: list[BaseRoute] = routes_of(
    ("/api/v4/account", {"GET": get_account}),
)
