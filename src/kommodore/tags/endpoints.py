"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.body import batch_of
from kommodore.http.directory import Endpoint, read_page, routes_of, self_href, write
from kommodore.tags import service


async def list_tags(request: Request) -> Response:
    """``GET /api/v4/leads/tags``: 250 per page at most, 204 when none."""
    return await read_page(
        request,
        service.MAX_LIMIT,
        lambda api, page: service.list_tags(
            api.conn, api.account_id, api.params, page, api.url, api.query
        ),
    )


async def add_tags(request: Request) -> Response:
    """``POST /api/v4/leads/tags``: any user; up to 250, all or nothing; a name
    that exists answers the existing tag."""
    return await write(
        request,
        lambda data: service.parse_new_tags(batch_of(data, service.MAX_BATCH)),
        lambda api, conn, tags: service.add_tags(
            conn, api.account_id, tags, self_href(api.url, api.query)
        ),
        admin=False,
    )


def _list_of(entity: str) -> Endpoint:
    async def get(request: Request) -> Response:
        """``GET /api/v4/{contacts|companies}/tags``: as the leads' directory."""
        return await read_page(
            request,
            service.MAX_LIMIT,
            lambda api, page: service.list_tags(
                api.conn, api.account_id, api.params, page, api.url, api.query, entity
            ),
        )

    return get


def _add_of(entity: str) -> Endpoint:
    async def post(request: Request) -> Response:
        """``POST /api/v4/{contacts|companies}/tags``: any colour sent is ignored (§5)."""
        return await write(
            request,
            lambda data: service.parse_new_tags(batch_of(data, service.MAX_BATCH), entity),
            lambda api, conn, tags: service.add_tags(
                conn, api.account_id, tags, self_href(api.url, api.query), entity
            ),
            admin=False,
        )

    return post


routes: list[BaseRoute] = routes_of(
    ("/api/v4/leads/tags", {"GET": list_tags, "POST": add_tags}),
    ("/api/v4/contacts/tags", {"GET": _list_of("contacts"), "POST": _add_of("contacts")}),
    ("/api/v4/companies/tags", {"GET": _list_of("companies"), "POST": _add_of("companies")}),
)
