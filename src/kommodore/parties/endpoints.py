"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.auth import api_request
from kommodore.http.body import batch_of, object_of
from kommodore.http.directory import Endpoint, read, read_page, routes_of
from kommodore.http.hal import hal_response
from kommodore.http.problems import Problem
from kommodore.parties import changes, service
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
                party_query(api.params, api.with_, api.modified_since),
                api.with_,
                page,
                api.origin,
                api.url,
                api.query,
            ),
        )

    return get


def _add(kind: Kind) -> Endpoint:
    async def post(request: Request) -> Response:
        """``POST /api/v4/{kind}``: up to 250, all or none."""
        async with api_request(request) as api:
            items = batch_of(await api.json(), changes.MAX_BATCH)
            async with api.transaction() as conn:
                body = await changes.add(
                    conn, api.principal, kind, items, int(time.time()), api.origin
                )
        return hal_response(body)

    return post


def _edit(kind: Kind) -> Endpoint:
    async def patch(request: Request) -> Response:
        """``PATCH /api/v4/{kind}``: up to 250 edits, each with its ``id``."""
        async with api_request(request) as api:
            items = batch_of(await api.json(), changes.MAX_BATCH)
            async with api.transaction() as conn:
                body = await changes.edit(
                    conn, api.principal, kind, items, int(time.time()), api.origin
                )
        return hal_response(body)

    return patch


def _edit_one(kind: Kind, key: str) -> Endpoint:
    async def patch(request: Request) -> Response:
        """``PATCH /api/v4/{kind}/{id}``: one object; an array is 405, as Kommo answered it
        (amocrm-api-php#329)."""
        party_id: int = request.path_params[key]
        async with api_request(request) as api:
            data = await api.json()
            if isinstance(data, list):
                raise Problem(405, "Method Not Allowed")
            item = {**object_of(data), "id": party_id}
            async with api.transaction() as conn:
                body = await changes.edit(
                    conn, api.principal, kind, [item], int(time.time()), api.origin, one=True
                )
        return hal_response(body)

    return patch


get_contact = _one("contacts", "contact_id")
get_company = _one("companies", "company_id")
list_contacts = _list("contacts")
list_companies = _list("companies")
add_contacts = _add("contacts")
add_companies = _add("companies")
edit_contacts = _edit("contacts")
edit_companies = _edit("companies")
edit_contact = _edit_one("contacts", "contact_id")
edit_company = _edit_one("companies", "company_id")

routes: list[BaseRoute] = routes_of(
    ("/api/v4/contacts", {"GET": list_contacts, "POST": add_contacts, "PATCH": edit_contacts}),
    ("/api/v4/contacts/{contact_id:int}", {"GET": get_contact, "PATCH": edit_contact}),
    (
        "/api/v4/companies",
        {"GET": list_companies, "POST": add_companies, "PATCH": edit_companies},
    ),
    ("/api/v4/companies/{company_id:int}", {"GET": get_company, "PATCH": edit_company}),
)
