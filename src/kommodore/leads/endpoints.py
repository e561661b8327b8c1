"""HTTP endpoints for leads: parse the request, call the service, answer in Kommo's shapes."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.auth import api_request, query_string
from kommodore.http.body import batch_of, object_of
from kommodore.http.directory import read, read_page, routes_of
from kommodore.http.hal import hal_response
from kommodore.http.query import with_values_of
from kommodore.leads import changes, complex_add, service, unsorted
from kommodore.leads.filters import lead_query

MAX_LIMIT = 250


async def get_lead(request: Request) -> Response:
    """``GET /api/v4/leads/{id}``: the token and the lead in one statement on PostgreSQL."""
    lead_id: int = request.path_params["lead_id"]
    ahead = service.LeadReadAhead(lead_id, with_values_of(query_string(request)))
    return await read(
        request,
        lambda api: service.read_lead(
            api.conn, api.principal, lead_id, api.with_, api.origin, ahead
        ),
        lookup=ahead.lookup,
    )


async def list_leads(request: Request) -> Response:
    """``GET /api/v4/leads``."""
    return await read_page(
        request,
        MAX_LIMIT,
        lambda api, page: service.list_leads(
            api.conn,
            api.principal,
            lead_query(api.params, api.with_, api.modified_since),
            api.with_,
            page,
            api.origin,
            api.url,
            api.query,
        ),
    )


async def add_leads(request: Request) -> Response:
    """``POST /api/v4/leads``: up to 250 leads, all or none."""
    async with api_request(request) as api:
        items = batch_of(await api.json(), changes.MAX_BATCH)
        inputs, errors = changes.read_batch(items, update=False)
        async with api.transaction() as conn:
            plans = await changes.add_leads(conn, api.principal, inputs, errors, int(time.time()))
    return hal_response(changes.added_body(plans, api.origin))


async def edit_leads(request: Request) -> Response:
    """``PATCH /api/v4/leads``: up to 250 edits, each with its ``id``."""
    async with api_request(request) as api:
        items = batch_of(await api.json(), changes.MAX_BATCH)
        inputs, errors = changes.read_batch(items, update=True)
        async with api.transaction() as conn:
            written = await changes.edit_leads(
                conn, api.principal, inputs, errors, int(time.time())
            )
    return hal_response(changes.edited_body(written, api.origin))


async def edit_lead(request: Request) -> Response:
    """``PATCH /api/v4/leads/{id}``: one object, the id from the path."""
    lead_id: int = request.path_params["lead_id"]
    async with api_request(request) as api:
        item = {**object_of(await api.json()), "id": lead_id}
        inputs, errors = changes.read_batch([item], update=True)
        async with api.transaction() as conn:
            (written,) = await changes.edit_leads(
                conn, api.principal, inputs, errors, int(time.time())
            )
    return hal_response(changes.edited_one(written, api.origin))


async def add_complex(request: Request) -> Response:
    """``POST /api/v4/leads/complex``: leads with a contact and a company each."""
    async with api_request(request) as api:
        items = batch_of(await api.json(), changes.MAX_COMPLEX)
        async with api.transaction() as conn:
            body = await complex_add.add(conn, api.principal, items, int(time.time()))
    return hal_response(body)


async def list_unsorted(request: Request) -> Response:
    """``GET /api/v4/leads/unsorted``: the incoming leads complex adds made, still unsorted."""
    return await read_page(
        request,
        MAX_LIMIT,
        lambda api, page: unsorted.list_unsorted(
            api.conn, api.principal, unsorted.unsorted_query(api.params), page, api.origin,
            api.url, api.query,
        ),
    )  # fmt: skip


async def get_unsorted(request: Request) -> Response:
    """``GET /api/v4/leads/unsorted/{uid}``: 204 when unknown or not to be seen."""
    uid: str = request.path_params["uid"]
    return await read(
        request, lambda api: unsorted.read_unsorted(api.conn, api.principal, uid, api.origin)
    )


routes: list[BaseRoute] = routes_of(
    ("/api/v4/leads", {"GET": list_leads, "POST": add_leads, "PATCH": edit_leads}),
    ("/api/v4/leads/complex", {"POST": add_complex}),
    ("/api/v4/leads/unsorted", {"GET": list_unsorted}),
    ("/api/v4/leads/unsorted/{uid:str}", {"GET": get_unsorted}),
    ("/api/v4/leads/{lead_id:int}", {"GET": get_lead, "PATCH": edit_lead}),
)
