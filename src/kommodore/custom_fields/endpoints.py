"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.custom_fields import changes, service
from kommodore.db.database import Connection
from kommodore.http.body import batch_of
from kommodore.http.directory import (
    Endpoint,
    edit_one,
    read_one,
    read_page,
    remove,
    routes_of,
    self_href,
    write,
)


async def list_fields(request: Request) -> Response:
    """``GET /api/v4/leads/custom_fields``: every user, 50 per page at most."""
    return await read_page(
        request,
        service.MAX_LIMIT,
        lambda api, page: service.list_fields(
            api.conn,
            api.account_id,
            service.types_of(api.params),
            service.order_of(api.params),
            page,
            api.origin,
            api.url,
            api.query,
        ),
    )


async def get_field(request: Request) -> Response:
    """``GET /api/v4/leads/custom_fields/{id}``: an unknown id is a 404 problem."""
    return await read_one(request, "field_id", service.read_field)


def _list_of(entity: str) -> Endpoint:
    async def get(request: Request) -> Response:
        """``GET /api/v4/{contacts|companies}/custom_fields``: reads only; the predefined
        phone and e-mail fields among them (§4.4)."""
        return await read_page(
            request,
            service.MAX_LIMIT,
            lambda api, page: service.list_fields(
                api.conn,
                api.account_id,
                service.types_of(api.params),
                service.order_of(api.params),
                page,
                api.origin,
                api.url,
                api.query,
                entity,
            ),
        )

    return get


def _one_of(entity: str) -> Endpoint:
    async def get(request: Request) -> Response:
        """``GET /api/v4/{contacts|companies}/custom_fields/{id}``: 404 when unknown."""
        return await read_one(
            request,
            "field_id",
            lambda conn, account_id, field_id, origin: service.read_field(
                conn, account_id, field_id, origin, entity
            ),
        )

    return get


BatchStep = Callable[[Connection, int, list[Any], str, str], Awaitable[bytes]]


async def _write_batch(request: Request, step: BatchStep, status_code: int) -> Response:
    return await write(
        request,
        lambda data: batch_of(data, changes.MAX_BATCH),
        lambda api, conn, items: step(
            conn, api.account_id, items, api.origin, self_href(api.url, api.query)
        ),
        status_code=status_code,
    )


async def add_fields(request: Request) -> Response:
    """``POST /api/v4/leads/custom_fields``: admins only; up to 50 fields, all or nothing;
    201."""
    return await _write_batch(request, changes.add_fields, 201)


async def edit_fields(request: Request) -> Response:
    """``PATCH /api/v4/leads/custom_fields``: admins only; items carry their ``id``."""
    return await _write_batch(request, changes.edit_fields, 200)


async def edit_field(request: Request) -> Response:
    """``PATCH /api/v4/leads/custom_fields/{id}``: admins only; one object; 404 when unknown."""
    return await edit_one(request, "field_id", lambda body: body, changes.edit_field)


async def delete_field(request: Request) -> Response:
    """``DELETE /api/v4/leads/custom_fields/{id}``: admins only; 204; any body is ignored."""
    field_id: int = request.path_params["field_id"]
    return await remove(
        request, lambda api, conn: changes.delete_field(conn, api.account_id, field_id)
    )


routes: list[BaseRoute] = routes_of(
    ("/api/v4/contacts/custom_fields", {"GET": _list_of("contacts")}),
    ("/api/v4/contacts/custom_fields/{field_id:int}", {"GET": _one_of("contacts")}),
    ("/api/v4/companies/custom_fields", {"GET": _list_of("companies")}),
    ("/api/v4/companies/custom_fields/{field_id:int}", {"GET": _one_of("companies")}),
    ("/api/v4/leads/custom_fields", {"GET": list_fields, "POST": add_fields, "PATCH": edit_fields}),
    (
        "/api/v4/leads/custom_fields/{field_id:int}",
        {"GET": get_field, "PATCH": edit_field, "DELETE": delete_field},
    ),
)
