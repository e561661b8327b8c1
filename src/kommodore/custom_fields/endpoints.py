"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.custom_fields import changes, service
from kommodore.http.auth import ApiRequest, api_request
from kommodore.http.body import batch_of, object_of
from kommodore.http.hal import hal_response, no_content
from kommodore.http.paging import page_of


async def list_fields(request: Request) -> Response:
    """``GET /api/v4/leads/custom_fields``: every user, 50 per page at most."""
    async with api_request(request) as api:
        body = await service.list_fields(
            api.conn,
            api.account_id,
            service.types_of(api.params),
            service.order_of(api.params),
            page_of(api.params, service.MAX_LIMIT),
            api.origin,
            api.url,
            api.query,
        )
    return no_content() if body is None else hal_response(body)


async def get_field(request: Request) -> Response:
    """``GET /api/v4/leads/custom_fields/{id}``: an unknown id is a 404 problem."""
    field_id: int = request.path_params["field_id"]
    async with api_request(request) as api:
        body = await service.read_field(api.conn, api.account_id, field_id, api.origin)
    return hal_response(body)


def _self_href(api: ApiRequest) -> str:
    return f"{api.url}?{api.query}" if api.query else api.url


async def add_fields(request: Request) -> Response:
    """``POST /api/v4/leads/custom_fields``: admins only; up to 50 fields, all or nothing;
    201."""
    async with api_request(request) as api:
        api.require_admin()
        items = batch_of(await api.json(), changes.MAX_BATCH)
        async with api.transaction() as conn:
            body = await changes.add_fields(
                conn, api.account_id, items, api.origin, _self_href(api)
            )
    return hal_response(body, status_code=201)


async def edit_fields(request: Request) -> Response:
    """``PATCH /api/v4/leads/custom_fields``: admins only; items carry their ``id``."""
    async with api_request(request) as api:
        api.require_admin()
        items = batch_of(await api.json(), changes.MAX_BATCH)
        async with api.transaction() as conn:
            body = await changes.edit_fields(
                conn, api.account_id, items, api.origin, _self_href(api)
            )
    return hal_response(body)


async def edit_field(request: Request) -> Response:
    """``PATCH /api/v4/leads/custom_fields/{id}``: admins only; one object; 404 when unknown."""
    field_id: int = request.path_params["field_id"]
    async with api_request(request) as api:
        api.require_admin()
        data = object_of(await api.json())
        async with api.transaction() as conn:
            body = await changes.edit_field(conn, api.account_id, field_id, data, api.origin)
    return hal_response(body)


async def delete_field(request: Request) -> Response:
    """``DELETE /api/v4/leads/custom_fields/{id}``: admins only; 204; any body is ignored."""
    field_id: int = request.path_params["field_id"]
    async with api_request(request) as api:
        api.require_admin()
        async with api.transaction() as conn:
            await changes.delete_field(conn, api.account_id, field_id)
    return no_content()


routes: list[BaseRoute] = [
    Route("/api/v4/leads/custom_fields", list_fields, methods=["GET"]),
    Route("/api/v4/leads/custom_fields", add_fields, methods=["POST"]),
    Route("/api/v4/leads/custom_fields", edit_fields, methods=["PATCH"]),
    Route("/api/v4/leads/custom_fields/{field_id:int}", get_field, methods=["GET"]),
    Route("/api/v4/leads/custom_fields/{field_id:int}", edit_field, methods=["PATCH"]),
    Route("/api/v4/leads/custom_fields/{field_id:int}", delete_field, methods=["DELETE"]),
]
