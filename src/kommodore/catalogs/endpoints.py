"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.catalogs import service
from kommodore.http.directory import read, read_one, read_page, routes_of


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


async def get_catalog(request: Request) -> Response:
    """``GET /api/v4/catalogs/{id}``: 404 ``Catalog not found`` when unknown."""
    return await read_one(request, "catalog_id", service.read_catalog)


async def get_element(request: Request) -> Response:
    """``GET /api/v4/catalogs/{id}/elements/{element_id}``: 204 for an element the catalog
    does not hold, 404 for an unknown catalog."""
    catalog_id: int = request.path_params["catalog_id"]
    element_id: int = request.path_params["element_id"]
    return await read(
        request,
        lambda api: service.read_element(
            api.conn, api.account_id, catalog_id, element_id, api.origin
        ),
    )


routes: list[BaseRoute] = routes_of(
    ("/api/v4/catalogs", {"GET": list_catalogs}),
    ("/api/v4/catalogs/{catalog_id:int}", {"GET": get_catalog}),
    ("/api/v4/catalogs/{catalog_id:int}/elements", {"GET": list_elements}),
    ("/api/v4/catalogs/{catalog_id:int}/elements/{element_id:int}", {"GET": get_element}),
)
