"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.directory import read, routes_of
from kommodore.parties import service


async def get_contact(request: Request) -> Response:
    """``GET /api/v4/contacts/{id}``: 204 when unknown, deleted or not viewable."""
    contact_id: int = request.path_params["contact_id"]
    return await read(
        request,
        lambda api: service.read_party(api.conn, api.principal, "contacts", contact_id, api.origin),
    )


async def get_company(request: Request) -> Response:
    """``GET /api/v4/companies/{id}``: 204 when unknown, deleted or not viewable."""
    company_id: int = request.path_params["company_id"]
    return await read(
        request,
        lambda api: service.read_party(
            api.conn, api.principal, "companies", company_id, api.origin
        ),
    )


routes: list[BaseRoute] = routes_of(
    ("/api/v4/contacts/{contact_id:int}", {"GET": get_contact}),
    ("/api/v4/companies/{company_id:int}", {"GET": get_company}),
)
