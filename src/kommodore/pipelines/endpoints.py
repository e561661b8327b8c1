"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.body import batch_of, object_of
from kommodore.http.hal import hal_response, no_content
from kommodore.pipelines import changes, service


async def list_pipelines(request: Request) -> Response:
    """``GET /api/v4/leads/pipelines``: every user, not paged."""
    async with api_request(request) as api:
        body = await service.list_pipelines(
            api.conn, api.account_id, api.url, api.query, api.origin
        )
    return no_content() if body is None else hal_response(body)


async def get_pipeline(request: Request) -> Response:
    """``GET /api/v4/leads/pipelines/{id}``: an unknown id is 404 "Pipeline not found"."""
    pipeline_id: int = request.path_params["pipeline_id"]
    async with api_request(request) as api:
        body = await service.read_pipeline(api.conn, api.account_id, pipeline_id, api.origin)
    return hal_response(body)


async def list_statuses(request: Request) -> Response:
    """``GET /api/v4/leads/pipelines/{pid}/statuses`` with ``with=descriptions``."""
    pipeline_id: int = request.path_params["pipeline_id"]
    async with api_request(request) as api:
        body = await service.list_statuses(
            api.conn, api.account_id, pipeline_id, api.with_, api.url, api.query, api.origin
        )
    return no_content() if body is None else hal_response(body)


async def get_status(request: Request) -> Response:
    """``GET /api/v4/leads/pipelines/{pid}/statuses/{id}`` with ``with=descriptions``."""
    pipeline_id: int = request.path_params["pipeline_id"]
    status_id: int = request.path_params["status_id"]
    async with api_request(request) as api:
        body = await service.read_status(
            api.conn, api.account_id, pipeline_id, status_id, api.with_, api.origin
        )
    return hal_response(body)


async def add_pipelines(request: Request) -> Response:
    """``POST /api/v4/leads/pipelines``: admins only; up to 50 pipelines, all or nothing."""
    async with api_request(request) as api:
        api.require_admin()
        batch = changes.parse_new_pipelines(batch_of(await api.json(), changes.MAX_PIPELINE_BATCH))
        async with api.transaction() as conn:
            body = await changes.add_pipelines(
                conn, api.account_id, batch, api.url, api.query, api.origin
            )
    return hal_response(body)


async def update_pipeline(request: Request) -> Response:
    """``PATCH /api/v4/leads/pipelines/{id}``: admins only; one object."""
    pipeline_id: int = request.path_params["pipeline_id"]
    async with api_request(request) as api:
        api.require_admin()
        change = changes.parse_pipeline_change(object_of(await api.json()))
        async with api.transaction() as conn:
            body = await changes.update_pipeline(
                conn, api.account_id, pipeline_id, change, api.origin
            )
    return hal_response(body)


async def delete_pipeline(request: Request) -> Response:
    """``DELETE /api/v4/leads/pipelines/{id}``: admins only; 204. Any body is ignored."""
    pipeline_id: int = request.path_params["pipeline_id"]
    async with api_request(request) as api:
        api.require_admin()
        async with api.transaction() as conn:
            await changes.delete_pipeline(conn, api.account_id, pipeline_id)
    return no_content()


async def add_statuses(request: Request) -> Response:
    """``POST /api/v4/leads/pipelines/{pid}/statuses``: admins only; up to 100 statuses."""
    pipeline_id: int = request.path_params["pipeline_id"]
    async with api_request(request) as api:
        api.require_admin()
        batch = changes.parse_new_statuses(batch_of(await api.json(), changes.MAX_STATUS_BATCH))
        async with api.transaction() as conn:
            body = await changes.add_statuses(
                conn, api.account_id, pipeline_id, batch, api.url, api.query, api.origin
            )
    return hal_response(body)


async def update_status(request: Request) -> Response:
    """``PATCH /api/v4/leads/pipelines/{pid}/statuses/{id}``: admins only; one object."""
    pipeline_id: int = request.path_params["pipeline_id"]
    status_id: int = request.path_params["status_id"]
    async with api_request(request) as api:
        api.require_admin()
        change = changes.parse_status_change(object_of(await api.json()))
        async with api.transaction() as conn:
            body = await changes.update_status(
                conn, api.account_id, pipeline_id, status_id, change, api.origin
            )
    return hal_response(body)


async def delete_status(request: Request) -> Response:
    """``DELETE /api/v4/leads/pipelines/{pid}/statuses/{id}``: admins only; 204, the status's
    leads move to the pipeline's first regular status. Any body is ignored."""
    pipeline_id: int = request.path_params["pipeline_id"]
    status_id: int = request.path_params["status_id"]
    async with api_request(request) as api:
        api.require_admin()
        async with api.transaction() as conn:
            await changes.delete_status(
                conn, api.account_id, pipeline_id, status_id, api.principal.actor.user_id
            )
    return no_content()


PIPELINE = "/api/v4/leads/pipelines/{pipeline_id:int}"
STATUS = "/api/v4/leads/pipelines/{pipeline_id:int}/statuses/{status_id:int}"

routes: list[BaseRoute] = [
    Route("/api/v4/leads/pipelines", list_pipelines, methods=["GET"]),
    Route("/api/v4/leads/pipelines", add_pipelines, methods=["POST"]),
    Route(PIPELINE, get_pipeline, methods=["GET"]),
    Route(PIPELINE, update_pipeline, methods=["PATCH"]),
    Route(PIPELINE, delete_pipeline, methods=["DELETE"]),
    Route(f"{PIPELINE}/statuses", list_statuses, methods=["GET"]),
    Route(f"{PIPELINE}/statuses", add_statuses, methods=["POST"]),
    Route(STATUS, get_status, methods=["GET"]),
    Route(STATUS, update_status, methods=["PATCH"]),
    Route(STATUS, delete_status, methods=["DELETE"]),
]
