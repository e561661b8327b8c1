"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response, no_content
from kommodore.parties import service


async def get_contact(request: Request) -> Response:
    """``GET /api/v4/contacts/{id}``: 204 when unknown, deleted or not viewable."""
    contact_id: int = request.path_params["contact_id"]
    async with api_request(request) as api:
        body = await service.read_party(api.conn, api.principal, "contacts", contact_id, api.origin)
    return no_content() if body is None else hal_response(body)


async def get_company(request: Request) -> Response:
    """``GET /api/v4/companies/{id}``: 204 when unknown, deleted or not viewable."""
    company_id: int = request.path_params["company_id"]
    async with api_request(request) as api:
        body = await service.read_party(
            api.conn, api.principal, "companies", company_id, api.origin
        )
    return no_content() if body is None else hal_response(body)


routes: list[BaseRoute] = [
    Route("/api/v4/contacts/{contact_id:int}", get_contact, methods=["GET"]),
    Route("/api/v4/companies/{company_id:int}", get_company, methods=["GET"]),
]
