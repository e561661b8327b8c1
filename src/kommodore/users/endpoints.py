"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.directory import read, routes_of
from kommodore.users import service


async def list_users(request: Request) -> Response:
    """``GET /api/v4/users``: admins only, paged by at most 250."""
    return await read(
        request,
        lambda api: service.list_users(
            api.conn, api.account_id, api.params, api.with_, api.url, api.query, api.origin
        ),
        admin=True,
    )


async def get_user(request: Request) -> Response:
    """``GET /api/v4/users/{id}``: admins only; an unknown id is 204."""
    user_id: int = request.path_params["user_id"]
    return await read(
        request,
        lambda api: service.read_user(api.conn, api.account_id, user_id, api.with_, api.origin),
        admin=True,
    )


routes: list[BaseRoute] = routes_of(
    ("/api/v4/users", {"GET": list_users}),
    ("/api/v4/users/{user_id:int}", {"GET": get_user}),
    # The user's own self link ends with a slash: follow it without a redirect.
    ("/api/v4/users/{user_id:int}/", {"GET": get_user}),
)
