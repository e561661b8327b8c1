"""Admin endpoints outside ``/api/v4``: what Kommo does only in its UI but a stand-in must
offer to tests. Authenticated like the API (a Bearer token), admins only."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.auth import api_request
from kommodore.http.body import batch_of
from kommodore.http.directory import routes_of
from kommodore.http.hal import no_content
from kommodore.http.validation import BatchErrors, Reader, request_id_of
from kommodore.leads import lifecycle
from kommodore.leads.lifecycle import Operation


def _ids_of(items: list[Any]) -> list[int]:
    """``[{"id": 1}, ...]``: every item an object with an integer ``id``, else Kommo's 400."""
    errors = BatchErrors()
    ids = []
    for index, item in enumerate(items):
        item_errors = errors.item(request_id_of(item, index))
        if not isinstance(item, dict):
            item_errors.invalid_type("", "object")
            continue
        lead_id = Reader(item, item_errors).id("id")
        if lead_id is not None:
            ids.append(lead_id)
        elif "id" not in item or item["id"] is None:
            item_errors.missing("id")
    errors.raise_if_any()
    return ids


async def _change(request: Request, op: Operation, lead_ids: list[int] | None) -> Response:
    async with api_request(request) as api:
        api.require_admin()
        if lead_ids is None:
            lead_ids = _ids_of(batch_of(await api.json(), lifecycle.MAX_BATCH))
        async with api.transaction() as conn:
            await lifecycle.change_deletion(
                conn, api.account_id, lead_ids, api.principal.actor.user_id, op, int(time.time())
            )
    return no_content()


async def delete_lead(request: Request) -> Response:
    """``POST /admin/leads/{id}/delete``: 204, or 404 (unknown) / 400 (already deleted)."""
    return await _change(request, "delete", [request.path_params["lead_id"]])


async def restore_lead(request: Request) -> Response:
    """``POST /admin/leads/{id}/restore``: 204, or 404 (unknown) / 400 (not deleted)."""
    return await _change(request, "restore", [request.path_params["lead_id"]])


async def delete_leads(request: Request) -> Response:
    """``POST /admin/leads/delete`` with ``[{"id": ...}, ...]``: all or none."""
    return await _change(request, "delete", None)


async def restore_leads(request: Request) -> Response:
    """``POST /admin/leads/restore`` with ``[{"id": ...}, ...]``: all or none."""
    return await _change(request, "restore", None)


routes: list[BaseRoute] = routes_of(
    ("/admin/leads/delete", {"POST": delete_leads}),
    ("/admin/leads/restore", {"POST": restore_leads}),
    ("/admin/leads/{lead_id:int}/delete", {"POST": delete_lead}),
    ("/admin/leads/{lead_id:int}/restore", {"POST": restore_lead}),
)
