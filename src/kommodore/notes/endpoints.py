"""HTTP endpoints for notes, the same set on ``/api/v4/leads``, ``/contacts`` and
``/companies``: parse the request, call the service, answer in Kommo's shapes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.auth.service import MAX_ID
from kommodore.http.auth import api_request
from kommodore.http.body import batch_of, object_of
from kommodore.http.directory import read, read_page, routes_of
from kommodore.http.hal import hal_response, no_content
from kommodore.notes import changes, service
from kommodore.notes.store import KINDS, Kind

MAX_LIMIT = 250

Endpoint = Callable[[Request], Awaitable[Response]]


def _entity_id(request: Request) -> int | None:
    """The parent a path names; past 64 bits it names none (0, which no entity has)."""
    value: int | None = request.path_params.get("entity_id")
    if value is not None and not 1 <= value <= MAX_ID:
        return 0
    return value


def list_notes(kind: Kind) -> Endpoint:
    """``GET /{kind}/notes`` and ``GET /{kind}/{entity_id}/notes``."""

    async def endpoint(request: Request) -> Response:
        entity_id = _entity_id(request)
        return await read_page(
            request,
            MAX_LIMIT,
            lambda api, page: service.list_notes(
                api.conn, api.principal, kind, service.note_query(api.params, entity_id),
                api.with_, page, api.origin, api.url, api.query,
            ),
        )  # fmt: skip

    return endpoint


def get_note(kind: Kind) -> Endpoint:
    """``GET /{kind}/notes/{id}`` and ``GET /{kind}/{entity_id}/notes/{id}``: 204 when
    unknown, of another parent, or not viewable."""

    async def endpoint(request: Request) -> Response:
        entity_id = _entity_id(request)
        note_id: int = request.path_params["note_id"]
        return await read(
            request,
            lambda api: service.read_note(
                api.conn, api.principal, kind, entity_id, note_id, api.with_, api.origin
            ),
        )

    return endpoint


def add_notes(kind: Kind) -> Endpoint:
    """``POST /{kind}/notes`` (each item names its ``entity_id``) and
    ``POST /{kind}/{entity_id}/notes``: up to 250 notes, all or none."""

    async def endpoint(request: Request) -> Response:
        async with api_request(request) as api:
            items = batch_of(await api.json(), changes.MAX_BATCH)
            inputs, errors = changes.read_batch(
                items, update=False, path_entity_id=_entity_id(request)
            )
            async with api.transaction() as conn:
                added = await changes.add_notes(
                    conn, api.principal, kind, inputs, errors, int(time.time())
                )
        return hal_response(changes.added_body(added, kind, api.origin, request.url.path))

    return endpoint


def edit_notes(kind: Kind) -> Endpoint:
    """``PATCH /{kind}/notes`` and ``PATCH /{kind}/{entity_id}/notes``: each item with its
    ``id``."""

    async def endpoint(request: Request) -> Response:
        entity_id = _entity_id(request)
        async with api_request(request) as api:
            items = batch_of(await api.json(), changes.MAX_BATCH)
            inputs, errors = changes.read_batch(items, update=True, path_entity_id=None)
            async with api.transaction() as conn:
                written = await changes.edit_notes(
                    conn, api.principal, kind, inputs, errors, int(time.time()),
                    path_entity_id=entity_id,
                )  # fmt: skip
        return hal_response(changes.edited_body(written, kind, api.origin, request.url.path))

    return endpoint


def edit_note(kind: Kind) -> Endpoint:
    """``PATCH /{kind}/{entity_id}/notes/{id}``: one object, the ids from the path."""

    async def endpoint(request: Request) -> Response:
        entity_id = _entity_id(request)
        note_id: int = request.path_params["note_id"]
        async with api_request(request) as api:
            item = {**object_of(await api.json()), "id": note_id}
            inputs, errors = changes.read_batch([item], update=True, path_entity_id=None)
            async with api.transaction() as conn:
                ((written, _),) = await changes.edit_notes(
                    conn, api.principal, kind, inputs, errors, int(time.time()),
                    path_entity_id=entity_id,
                )  # fmt: skip
        return hal_response(changes.edited_one(written, kind, api.origin))

    return endpoint


def pin(kind: Kind, pinned: bool) -> Endpoint:
    """``POST /{kind}/notes/{id}/pin`` (or ``/unpin``): no body, 204."""

    async def endpoint(request: Request) -> Response:
        note_id: int = request.path_params["note_id"]
        async with api_request(request) as api, api.transaction() as conn:
            await changes.set_pinned(conn, api.principal, kind, note_id, pinned)
        return no_content()

    return endpoint


def _routes(kind: Kind) -> list[BaseRoute]:
    base = f"/api/v4/{kind}"
    return routes_of(
        (f"{base}/notes", {"GET": list_notes(kind), "POST": add_notes(kind),
                           "PATCH": edit_notes(kind)}),
        (f"{base}/{{entity_id:int}}/notes", {"GET": list_notes(kind), "POST": add_notes(kind),
                                             "PATCH": edit_notes(kind)}),
        (f"{base}/notes/{{note_id:int}}", {"GET": get_note(kind)}),
        (f"{base}/{{entity_id:int}}/notes/{{note_id:int}}", {"GET": get_note(kind),
                                                             "PATCH": edit_note(kind)}),
        (f"{base}/notes/{{note_id:int}}/pin", {"POST": pin(kind, True)}),
        (f"{base}/notes/{{note_id:int}}/unpin", {"POST": pin(kind, False)}),
    )  # fmt: skip


routes: list[BaseRoute] = [route for kind in KINDS for route in _routes(kind)]
