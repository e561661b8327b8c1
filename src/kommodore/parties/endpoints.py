"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.directory import Endpoint, read, read_page, routes_of
from kommodore.parties import service
from kommodore.parties.filters import party_query
from kommodore.parties.store import Kind

MAX_LIMIT = 250


def _one(kind: Kind, key: str) -> Endpoint:
    async def get(request: Request) -> Response:
        """``GET /api/v4/{kind}/{id}``: 204 when unknown, deleted or not viewable."""
        party_id: int = request.path_params[key]
        return await read(
            request,
            lambda api: service.read_party(
                api.conn, api.principal, kind, party_id, api.with_, api.origin
            ),
        )

    return get


def _list(kind: Kind) -> Endpoint:
    async def get(request: Request) -> Response:
        """``GET /api/v4/{kind}``: a page of what the user may view; 204 when empty."""
        return await read_page(
            request,
            MAX_LIMIT,
            lambda api, page: service.list_parties(
                api.conn,
                api.principal,
                kind,
                party_query(api.params, api.with_),
                api.with_,
                page,
                api.origin,
                api.url,
                api.query,
            ),
        )

    return get


get_contact = _one("contacts", "contact_id")
get_company = _one("companies", "company_id")
list_contacts = _list("contacts")
list_companies = _list("companies")

routes: list[BaseRoute] = routes_of(
    ("/api/v4/contacts", {"GET": list_contacts}),
    ("/api/v4/contacts/{contact_id:int}", {"GET": get_contact}),
    ("/api/v4/companies", {"GET": list_companies}),
    ("/api/v4/companies/{company_id:int}", {"GET": get_company}),
)
