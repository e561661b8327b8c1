"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import ApiRequest, api_request
from kommodore.http.body import batch_of, object_of
from kommodore.http.hal import hal_response, no_content
from kommodore.sources import changes, service


async def list_sources(request: Request) -> Response:
    """``GET /api/v4/sources``: admins only; 204 when none match."""
    async with api_request(request) as api:
        api.require_admin()
        body = await service.list_sources(
            api.conn, api.principal, api.params, api.url, api.query, api.origin
        )
    return no_content() if body is None else hal_response(body)


async def get_source(request: Request) -> Response:
    """``GET /api/v4/sources/{id}``: admins only; unknown or another integration's is 204."""
    source_id: int = request.path_params["source_id"]
    async with api_request(request) as api:
        api.require_admin()
        body = await service.read_source(api.conn, api.principal, source_id, api.origin)
    return no_content() if body is None else hal_response(body)


def _self_href(api: ApiRequest) -> str:
    return f"{api.url}?{api.query}" if api.query else api.url


async def add_sources(request: Request) -> Response:
    """``POST /api/v4/sources``: admins only; up to 50, all or nothing; 200."""
    async with api_request(request) as api:
        api.require_admin()
        items = batch_of(await api.json(), changes.MAX_BATCH)
        async with api.transaction() as conn:
            body = await changes.add_sources(
                conn, api.account_id, api.principal.claims.integration_id, items,
                api.origin, _self_href(api),
            )  # fmt: skip
    return hal_response(body)


async def edit_sources(request: Request) -> Response:
    """``PATCH /api/v4/sources``: admins only; items carry their ``id``."""
    async with api_request(request) as api:
        api.require_admin()
        items = batch_of(await api.json(), changes.MAX_BATCH)
        async with api.transaction() as conn:
            body = await changes.edit_sources(
                conn, api.account_id, api.principal.claims.integration_id, items,
                api.origin, _self_href(api),
            )  # fmt: skip
    return hal_response(body)


async def edit_source(request: Request) -> Response:
    """``PATCH /api/v4/sources/{id}``: admins only; one object; 404 when not visible."""
    source_id: int = request.path_params["source_id"]
    async with api_request(request) as api:
        api.require_admin()
        data = object_of(await api.json())
        async with api.transaction() as conn:
            body = await changes.edit_source(
                conn, api.account_id, api.principal.claims.integration_id, source_id, data,
                api.origin,
            )  # fmt: skip
    return hal_response(body)


async def delete_sources(request: Request) -> Response:
    """``DELETE /api/v4/sources``: admins only; a batch of ``{"id"}``; 204."""
    async with api_request(request) as api:
        api.require_admin()
        items = batch_of(await api.json(), changes.MAX_BATCH)
        async with api.transaction() as conn:
            await changes.delete_sources(
                conn, api.account_id, api.principal.claims.integration_id, items,
                api.principal.actor.user_id,
            )  # fmt: skip
    return no_content()


async def delete_source(request: Request) -> Response:
    """``DELETE /api/v4/sources/{id}``: admins only; 204; any body is ignored."""
    source_id: int = request.path_params["source_id"]
    async with api_request(request) as api:
        api.require_admin()
        async with api.transaction() as conn:
            await changes.delete_source(
                conn, api.account_id, api.principal.claims.integration_id, source_id,
                api.principal.actor.user_id,
            )  # fmt: skip
    return no_content()


routes: list[BaseRoute] = [
    Route("/api/v4/sources", list_sources, methods=["GET"]),
    Route("/api/v4/sources", add_sources, methods=["POST"]),
    Route("/api/v4/sources", edit_sources, methods=["PATCH"]),
    Route("/api/v4/sources", delete_sources, methods=["DELETE"]),
    Route("/api/v4/sources/{source_id:int}", get_source, methods=["GET"]),
    Route("/api/v4/sources/{source_id:int}", edit_source, methods=["PATCH"]),
    Route("/api/v4/sources/{source_id:int}", delete_source, methods=["DELETE"]),
]
