"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.catalogs import service
from kommodore.http.directory import read_page, routes_of


async def list_catalogs(request: Request) -> Response:
    """``GET /api/v4/catalogs``."""
    return await read_page(
        request,
        service.MAX_LIMIT,
        lambda api, page: service.list_catalogs(
            api.conn, api.account_id, page, api.origin, api.url, api.query
        ),
    )


async def list_elements(request: Request) -> Response:
    """``GET /api/v4/catalogs/{id}/elements``: ``query``, ``filter[id]``, paging."""
    catalog_id: int = request.path_params["catalog_id"]
    return await read_page(
        request,
        service.MAX_LIMIT,
        lambda api, page: service.list_elements(
            api.conn, api.account_id, catalog_id, api.params, page, api.origin, api.url, api.query
        ),
    )


routes: list[BaseRoute] = routes_of(
    ("/api/v4/catalogs", {"GET": list_catalogs}),
    ("/api/v4/catalogs/{catalog_id:int}/elements", {"GET": list_elements}),
)
