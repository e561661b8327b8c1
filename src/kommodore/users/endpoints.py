"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response, no_content
from kommodore.users import service


async def list_users(request: Request) -> Response:
    """``GET /api/v4/users``: admins only, paged by at most 250."""
    async with api_request(request) as api:
        api.require_admin()
        body = await service.list_users(
            api.conn, api.account_id, api.params, api.with_, api.url, api.query, api.origin
        )
    return no_content() if body is None else hal_response(body)


async def get_user(request: Request) -> Response:
    """``GET /api/v4/users/{id}``: admins only; an unknown id is 204."""
    user_id: int = request.path_params["user_id"]
    async with api_request(request) as api:
        api.require_admin()
        body = await service.read_user(api.conn, api.account_id, user_id, api.with_, api.origin)
    return no_content() if body is None else hal_response(body)


routes: list[BaseRoute] = [
    Route("/api/v4/users", list_users, methods=["GET"]),
    Route("/api/v4/users/{user_id:int}", get_user, methods=["GET"]),
    # The user's own self link ends with a slash: follow it without a redirect.
    Route("/api/v4/users/{user_id:int}/", get_user, methods=["GET"]),
]
