"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.http.body import batch_of, object_of
from kommodore.http.directory import (
    edit_one,
    read,
    read_all,
    read_one,
    remove,
    routes_of,
    write,
)
from kommodore.pipelines import changes, service


def _ids(request: Request) -> tuple[int, int]:
    """The pipeline and status ids of a status's path."""
    return request.path_params["pipeline_id"], request.path_params["status_id"]


async def list_pipelines(request: Request) -> Response:
    """``GET /api/v4/leads/pipelines``: every user, not paged."""
    return await read_all(request, service.list_pipelines)


async def get_pipeline(request: Request) -> Response:
    """``GET /api/v4/leads/pipelines/{id}``: an unknown id is 404 "Pipeline not found"."""
    return await read_one(request, "pipeline_id", service.read_pipeline)


async def list_statuses(request: Request) -> Response:
    """``GET /api/v4/leads/pipelines/{pid}/statuses`` with ``with=descriptions``."""
    pipeline_id: int = request.path_params["pipeline_id"]
    return await read(
        request,
        lambda api: service.list_statuses(
            api.conn, api.account_id, pipeline_id, api.with_, api.url, api.query, api.origin
        ),
    )


async def get_status(request: Request) -> Response:
    """``GET /api/v4/leads/pipelines/{pid}/statuses/{id}`` with ``with=descriptions``."""
    pipeline_id, status_id = _ids(request)
    return await read(
        request,
        lambda api: service.read_status(
            api.conn, api.account_id, pipeline_id, status_id, api.with_, api.origin
        ),
    )


def _new_pipelines(data: Any) -> changes.Batch[changes.NewPipeline]:
    return changes.parse_new_pipelines(batch_of(data, changes.MAX_PIPELINE_BATCH))


def _new_statuses(data: Any) -> changes.Batch[changes.NewStatus]:
    return changes.parse_new_statuses(batch_of(data, changes.MAX_STATUS_BATCH))


async def add_pipelines(request: Request) -> Response:
    """``POST /api/v4/leads/pipelines``: admins only; up to 50 pipelines, all or nothing."""
    return await write(
        request,
        _new_pipelines,
        lambda api, conn, batch: changes.add_pipelines(
            conn, api.account_id, batch, api.url, api.query, api.origin
        ),
    )


async def update_pipeline(request: Request) -> Response:
    """``PATCH /api/v4/leads/pipelines/{id}``: admins only; one object."""
    return await edit_one(
        request, "pipeline_id", changes.parse_pipeline_change, changes.update_pipeline
    )


async def delete_pipeline(request: Request) -> Response:
    """``DELETE /api/v4/leads/pipelines/{id}``: admins only; 204. Any body is ignored."""
    pipeline_id: int = request.path_params["pipeline_id"]
    return await remove(
        request, lambda api, conn: changes.delete_pipeline(conn, api.account_id, pipeline_id)
    )


async def add_statuses(request: Request) -> Response:
    """``POST /api/v4/leads/pipelines/{pid}/statuses``: admins only; up to 100 statuses."""
    pipeline_id: int = request.path_params["pipeline_id"]
    return await write(
        request,
        _new_statuses,
        lambda api, conn, batch: changes.add_statuses(
            conn, api.account_id, pipeline_id, batch, api.url, api.query, api.origin
        ),
    )


async def update_status(request: Request) -> Response:
    """``PATCH /api/v4/leads/pipelines/{pid}/statuses/{id}``: admins only; one object."""
    pipeline_id, status_id = _ids(request)
    return await write(
        request,
        lambda data: changes.parse_status_change(object_of(data)),
        lambda api, conn, change: changes.update_status(
            conn, api.account_id, pipeline_id, status_id, change, api.origin
        ),
    )


async def delete_status(request: Request) -> Response:
    """``DELETE /api/v4/leads/pipelines/{pid}/statuses/{id}``: admins only; 204, the status's
    leads move to the pipeline's first regular status. Any body is ignored."""
    pipeline_id, status_id = _ids(request)
    return await remove(
        request,
        lambda api, conn: changes.delete_status(
            conn, api.account_id, pipeline_id, status_id, api.principal.actor.user_id
        ),
    )


PIPELINE = "/api/v4/leads/pipelines/{pipeline_id:int}"
STATUS = "/api/v4/leads/pipelines/{pipeline_id:int}/statuses/{status_id:int}"

routes: list[BaseRoute] = routes_of(
    ("/api/v4/leads/pipelines", {"GET": list_pipelines, "POST": add_pipelines}),
    (PIPELINE, {"GET": get_pipeline, "PATCH": update_pipeline, "DELETE": delete_pipeline}),
    (f"{PIPELINE}/statuses", {"GET": list_statuses, "POST": add_statuses}),
    (STATUS, {"GET": get_status, "PATCH": update_status, "DELETE": delete_status}),
)
