"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.body import batch_of
from kommodore.http.directory import Endpoint, read, routes_of, write
from kommodore.http.paging import page_of
from kommodore.links import parties as party_links
from kommodore.links import service
from kommodore.parties.store import Kind

MAX_ITEMS = 250


async def lead_links(request: Request) -> Response:
    """``GET /api/v4/leads/{id}/links``, paged as Kommo's lists are."""
    lead_id: int = request.path_params["lead_id"]
    return await read(
        request,
        lambda api: service.lead_links(
            api.conn,
            api.principal,
            lead_id,
            service.link_filter(api.params),
            page_of(api.params, MAX_ITEMS),
            api.url,
            api.query,
        ),
    )


async def many_links(request: Request) -> Response:
    """``GET /api/v4/leads/links?filter[entity_id][]=…``; without
    ``filter[entity_id]`` a 400 problem."""
    return await read(
        request,
        lambda api: service.many_links(
            api.conn,
            api.principal,
            service.entity_ids(api.params),
            service.link_filter(api.params),
            api.url,
            api.query,
        ),
    )


def _party_links(kind: Kind, key: str) -> Endpoint:
    async def get(request: Request) -> Response:
        """``GET /api/v4/{kind}/{id}/links``: 204 when the entity is not viewable or has no
        link passing the filters."""
        party_id: int = request.path_params[key]
        return await read(
            request,
            lambda api: party_links.party_links(
                api.conn, api.principal, kind, party_id, service.link_filter(api.params),
                api.url, api.query,
            ),
        )  # fmt: skip

    return get


def _many_party_links(kind: Kind) -> Endpoint:
    async def get(request: Request) -> Response:
        """``GET /api/v4/{kind}/links?filter[entity_id][]=…``; ``filter[entity_id]``
        required."""
        return await read(
            request,
            lambda api: party_links.many_party_links(
                api.conn, api.principal, kind, service.entity_ids(api.params),
                service.link_filter(api.params), api.url, api.query,
            ),
        )  # fmt: skip

    return get


def _party_write(kind: Kind, key: str | None, *, unlink: bool) -> Endpoint:
    async def post(request: Request) -> Response:
        """``POST /api/v4/{kind}/{id}/link`` (200, the links) and ``/unlink`` (204); without
        ``key``, the batch forms ``/{kind}/link`` and ``/unlink`` (``entity_id`` per item)."""
        party_id: int | None = None if key is None else request.path_params[key]
        return await write(
            request,
            _items,
            lambda api, conn, items: party_links.write_party_links(
                conn, api.principal, kind, party_id, items, int(time.time()), unlink=unlink,
                url=api.url,
            ),
            admin=False,
            status_code=200,
        )  # fmt: skip

    return post


def _items(data: Any) -> list[Any]:
    return batch_of(data, MAX_ITEMS)


async def _link(request: Request, lead_id: int | None) -> Response:
    """Any user's link batch: 200 with the links as written."""
    return await write(
        request,
        _items,
        lambda api, conn, items: service.link(conn, api.principal, items, lead_id, api.url),
        admin=False,
    )


async def _unlink(request: Request, lead_id: int | None) -> Response:
    """Any user's unlink batch: 204."""
    return await write(
        request,
        _items,
        lambda api, conn, items: service.unlink(conn, api.principal, items, lead_id),
        admin=False,
    )


async def link_lead(request: Request) -> Response:
    """``POST /api/v4/leads/{id}/link``: 200 with the links as written."""
    lead_id: int = request.path_params["lead_id"]
    return await _link(request, lead_id)


async def link_many(request: Request) -> Response:
    """``POST /api/v4/leads/link``: each item names its lead in ``entity_id``."""
    return await _link(request, None)


async def unlink_lead(request: Request) -> Response:
    """``POST /api/v4/leads/{id}/unlink``: 204."""
    lead_id: int = request.path_params["lead_id"]
    return await _unlink(request, lead_id)


async def unlink_many(request: Request) -> Response:
    """``POST /api/v4/leads/unlink``: 204; each item names its lead in ``entity_id``."""
    return await _unlink(request, None)


routes: list[BaseRoute] = routes_of(
    ("/api/v4/leads/links", {"GET": many_links}),
    ("/api/v4/leads/{lead_id:int}/links", {"GET": lead_links}),
    ("/api/v4/leads/link", {"POST": link_many}),
    ("/api/v4/leads/unlink", {"POST": unlink_many}),
    ("/api/v4/leads/{lead_id:int}/link", {"POST": link_lead}),
    ("/api/v4/leads/{lead_id:int}/unlink", {"POST": unlink_lead}),
    ("/api/v4/contacts/links", {"GET": _many_party_links("contacts")}),
    ("/api/v4/contacts/link", {"POST": _party_write("contacts", None, unlink=False)}),
    ("/api/v4/contacts/unlink", {"POST": _party_write("contacts", None, unlink=True)}),
    ("/api/v4/companies/link", {"POST": _party_write("companies", None, unlink=False)}),
    ("/api/v4/companies/unlink", {"POST": _party_write("companies", None, unlink=True)}),
    (
        "/api/v4/contacts/{contact_id:int}/link",
        {"POST": _party_write("contacts", "contact_id", unlink=False)},
    ),
    (
        "/api/v4/contacts/{contact_id:int}/unlink",
        {"POST": _party_write("contacts", "contact_id", unlink=True)},
    ),
    (
        "/api/v4/companies/{company_id:int}/link",
        {"POST": _party_write("companies", "company_id", unlink=False)},
    ),
    (
        "/api/v4/companies/{company_id:int}/unlink",
        {"POST": _party_write("companies", "company_id", unlink=True)},
    ),
    ("/api/v4/contacts/{contact_id:int}/links", {"GET": _party_links("contacts", "contact_id")}),
    ("/api/v4/companies/links", {"GET": _many_party_links("companies")}),
    (
        "/api/v4/companies/{company_id:int}/links",
        {"GET": _party_links("companies", "company_id")},
    ),
)
