"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.custom_fields import changes, groups, service
from kommodore.db.database import Connection
from kommodore.http.body import batch_of, object_of
from kommodore.http.directory import (
    Endpoint,
    edit_one,
    read,
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


BatchStep = Callable[[Connection, int, list[Any], str, str, str], Awaitable[bytes]]


def _write_batch(step: BatchStep, status_code: int, entity: str) -> Endpoint:
    async def send(request: Request) -> Response:
        return await write(
            request,
            lambda data: batch_of(data, changes.MAX_BATCH),
            lambda api, conn, items: step(
                conn, api.account_id, items, api.origin, self_href(api.url, api.query), entity
            ),
            status_code=status_code,
        )

    return send


def _add_of(entity: str) -> Endpoint:
    """``POST /api/v4/{entity}/custom_fields``: admins only; up to 50 fields, all or nothing;
    201."""
    return _write_batch(changes.add_fields, 201, entity)


def _edit_batch_of(entity: str) -> Endpoint:
    """``PATCH /api/v4/{entity}/custom_fields``: admins only; items carry their ``id``."""
    return _write_batch(changes.edit_fields, 200, entity)


def _edit_of(entity: str) -> Endpoint:
    async def patch(request: Request) -> Response:
        """``PATCH /api/v4/{entity}/custom_fields/{id}``: admins only; one object; 404 when
        unknown (or another entity's field)."""
        return await edit_one(
            request,
            "field_id",
            lambda body: body,
            lambda conn, account_id, field_id, body, origin: changes.edit_field(
                conn, account_id, field_id, body, origin, entity
            ),
        )

    return patch


def _delete_of(entity: str) -> Endpoint:
    async def delete(request: Request) -> Response:
        """``DELETE /api/v4/{entity}/custom_fields/{id}``: admins only; 204; any body is
        ignored; predefined fields are refused."""
        field_id: int = request.path_params["field_id"]
        return await remove(
            request,
            lambda api, conn: changes.delete_field(conn, api.account_id, field_id, entity),
        )

    return delete


def _group_routes(entity: str) -> list[tuple[str, dict[str, Endpoint]]]:
    """``/api/v4/{entity}/custom_fields/groups[/{id}]``: every user reads, admins write; the
    id is a string (``leads_...``)."""

    async def list_groups(request: Request) -> Response:
        """The groups, the predefined one first; 50 a page at most."""
        return await read_page(
            request,
            groups.MAX_LIMIT,
            lambda api, page: groups.list_groups(
                api.conn, api.account_id, entity, page, api.origin, api.url, api.query
            ),
        )

    async def get_group(request: Request) -> Response:
        """One group; an unknown id is a 404 problem."""
        group_id: str = request.path_params["group_id"]
        return await read(
            request,
            lambda api: groups.read_group(api.conn, api.account_id, entity, group_id, api.origin),
        )

    async def add_groups(request: Request) -> Response:
        """Admins only; up to 50 groups, all or nothing."""
        return await write(
            request,
            lambda data: batch_of(data, groups.MAX_BATCH),
            lambda api, conn, items: groups.add_groups(
                conn, api.account_id, entity, items, api.origin, self_href(api.url, api.query)
            ),
        )

    async def edit_group(request: Request) -> Response:
        """Admins only; one object; 404 when unknown."""
        group_id: str = request.path_params["group_id"]
        return await write(
            request,
            object_of,
            lambda api, conn, body: groups.edit_group(
                conn, api.account_id, entity, group_id, body, api.origin
            ),
        )

    async def delete_group(request: Request) -> Response:
        """Admins only; 204; the predefined group is refused; any body is ignored."""
        group_id: str = request.path_params["group_id"]
        return await remove(
            request, lambda api, conn: groups.delete_group(conn, api.account_id, entity, group_id)
        )

    return [
        (
            f"/api/v4/{entity}/custom_fields/groups",
            {"GET": list_groups, "POST": add_groups},
        ),
        (
            f"/api/v4/{entity}/custom_fields/groups/{{group_id}}",
            {"GET": get_group, "PATCH": edit_group, "DELETE": delete_group},
        ),
    ]


def _party_routes(entity: str) -> list[tuple[str, dict[str, Endpoint]]]:
    """Contacts' and companies' fields: read and written as the leads' (§4.4)."""
    return [
        (
            f"/api/v4/{entity}/custom_fields",
            {"GET": _list_of(entity), "POST": _add_of(entity), "PATCH": _edit_batch_of(entity)},
        ),
        (
            f"/api/v4/{entity}/custom_fields/{{field_id:int}}",
            {"GET": _one_of(entity), "PATCH": _edit_of(entity), "DELETE": _delete_of(entity)},
        ),
    ]


routes: list[BaseRoute] = routes_of(
    *_group_routes("leads"),
    *_group_routes("contacts"),
    *_group_routes("companies"),
    *_party_routes("contacts"),
    *_party_routes("companies"),
    (
        "/api/v4/leads/custom_fields",
        {"GET": list_fields, "POST": _add_of("leads"), "PATCH": _edit_batch_of("leads")},
    ),
    (
        "/api/v4/leads/custom_fields/{field_id:int}",
        {"GET": get_field, "PATCH": _edit_of("leads"), "DELETE": _delete_of("leads")},
    ),
)
