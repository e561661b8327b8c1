"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.db.database import Connection
from kommodore.http.auth import ApiRequest
from kommodore.http.body import batch_of, object_of
from kommodore.http.directory import read, remove, routes_of, self_href, write
from kommodore.sources import changes, service


def _integration(api: ApiRequest) -> str:
    """The calling integration: it sees its own sources and the account's."""
    return api.principal.claims.integration_id


def _batch(data: Any) -> list[Any]:
    return batch_of(data, changes.MAX_BATCH)


async def list_sources(request: Request) -> Response:
    """``GET /api/v4/sources``: admins only; 204 when none match."""
    return await read(
        request,
        lambda api: service.list_sources(
            api.conn, api.principal, api.params, api.url, api.query, api.origin
        ),
        admin=True,
    )


async def get_source(request: Request) -> Response:
    """``GET /api/v4/sources/{id}``: admins only; unknown or another integration's is 204."""
    source_id: int = request.path_params["source_id"]
    return await read(
        request,
        lambda api: service.read_source(api.conn, api.principal, source_id, api.origin),
        admin=True,
    )


BatchStep = Callable[[Connection, int, str, list[Any], str, str], Awaitable[bytes]]


async def _write_batch(request: Request, step: BatchStep) -> Response:
    return await write(
        request,
        _batch,
        lambda api, conn, items: step(
            conn, api.account_id, _integration(api), items, api.origin,
            self_href(api.url, api.query),
        ),
    )  # fmt: skip


async def add_sources(request: Request) -> Response:
    """``POST /api/v4/sources``: admins only; up to 50, all or nothing; 200."""
    return await _write_batch(request, changes.add_sources)


async def edit_sources(request: Request) -> Response:
    """``PATCH /api/v4/sources``: admins only; items carry their ``id``."""
    return await _write_batch(request, changes.edit_sources)


async def edit_source(request: Request) -> Response:
    """``PATCH /api/v4/sources/{id}``: admins only; one object; 404 when not visible."""
    source_id: int = request.path_params["source_id"]
    return await write(
        request,
        object_of,
        lambda api, conn, data: changes.edit_source(
            conn, api.account_id, _integration(api), source_id, data, api.origin
        ),
    )


async def delete_sources(request: Request) -> Response:
    """``DELETE /api/v4/sources``: admins only; a batch of ``{"id"}``; 204."""
    return await write(
        request,
        _batch,
        lambda api, conn, items: changes.delete_sources(
            conn, api.account_id, _integration(api), items, api.principal.actor.user_id
        ),
    )


async def delete_source(request: Request) -> Response:
    """``DELETE /api/v4/sources/{id}``: admins only; 204; any body is ignored."""
    source_id: int = request.path_params["source_id"]
    return await remove(
        request,
        lambda api, conn: changes.delete_source(
            conn, api.account_id, _integration(api), source_id, api.principal.actor.user_id
        ),
    )


routes: list[BaseRoute] = routes_of(
    (
        "/api/v4/sources",
        {"GET": list_sources, "POST": add_sources, "PATCH": edit_sources, "DELETE": delete_sources},
    ),
    (
        "/api/v4/sources/{source_id:int}",
        {"GET": get_source, "PATCH": edit_source, "DELETE": delete_source},
    ),
)
