"""HTTP endpoints for tasks: parse the request, call the service, answer in Kommo's shapes."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.auth import api_request
from kommodore.http.body import batch_of, object_of
from kommodore.http.directory import read, read_all, read_page, routes_of
from kommodore.http.hal import hal_response
from kommodore.tasks import changes, service

MAX_LIMIT = 250


async def list_tasks(request: Request) -> Response:
    """``GET /api/v4/tasks``: every task of the account (tasks have no view right)."""
    return await read_page(
        request,
        MAX_LIMIT,
        lambda api, page: service.list_tasks(
            api.conn,
            api.account_id,
            service.task_query(api.params, api.modified_since),
            page,
            api.origin,
            api.url,
            api.query,
        ),
    )


async def get_task(request: Request) -> Response:
    """``GET /api/v4/tasks/{id}``: 204 for an unknown id."""
    task_id: int = request.path_params["task_id"]
    return await read(
        request, lambda api: service.read_task(api.conn, api.account_id, task_id, api.origin)
    )


async def list_task_types(request: Request) -> Response:
    """``GET /api/v4/tasks/types``: read-only."""
    return await read_all(request, service.list_task_types)


async def add_tasks(request: Request) -> Response:
    """``POST /api/v4/tasks``: up to 250 tasks, all or none."""
    async with api_request(request) as api:
        items = batch_of(await api.json(), changes.MAX_BATCH)
        inputs, errors = changes.read_batch(items, update=False)
        async with api.transaction() as conn:
            plans = await changes.add_tasks(conn, api.principal, inputs, errors, int(time.time()))
    return hal_response(changes.added_body(plans, api.origin))


async def edit_tasks(request: Request) -> Response:
    """``PATCH /api/v4/tasks``: up to 250 edits, each with its ``id``."""
    async with api_request(request) as api:
        items = batch_of(await api.json(), changes.MAX_BATCH)
        inputs, errors = changes.read_batch(items, update=True)
        async with api.transaction() as conn:
            plans = await changes.edit_tasks(conn, api.principal, inputs, errors, int(time.time()))
    return hal_response(changes.edited_body(plans, api.origin))


async def edit_task(request: Request) -> Response:
    """``PATCH /api/v4/tasks/{id}``: one object, the id from the path (completion included)."""
    task_id: int = request.path_params["task_id"]
    async with api_request(request) as api:
        item = object_of(await api.json())
        inputs, errors = changes.read_batch([item], update=True, path_id=task_id)
        async with api.transaction() as conn:
            (plan,) = await changes.edit_tasks(
                conn, api.principal, inputs, errors, int(time.time())
            )
    return hal_response(changes.edited_one(plan, api.origin))


routes: list[BaseRoute] = routes_of(
    ("/api/v4/tasks", {"GET": list_tasks, "POST": add_tasks, "PATCH": edit_tasks}),
    ("/api/v4/tasks/types", {"GET": list_task_types}),
    ("/api/v4/tasks/{task_id:int}", {"GET": get_task, "PATCH": edit_task}),
)
