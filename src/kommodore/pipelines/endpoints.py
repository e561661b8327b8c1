"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.http.auth import api_request
from kommodore.http.hal import hal_response, no_content
from kommodore.pipelines import service


async def list_pipelines(request: Request) -> Response:
    """``GET /api/v4/leads/pipelines`` (spec §11.2): every user, not paged."""
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


routes: list[BaseRoute] = [
    Route("/api/v4/leads/pipelines", list_pipelines, methods=["GET"]),
    Route("/api/v4/leads/pipelines/{pipeline_id:int}", get_pipeline, methods=["GET"]),
    Route("/api/v4/leads/pipelines/{pipeline_id:int}/statuses", list_statuses, methods=["GET"]),
    Route(
        "/api/v4/leads/pipelines/{pipeline_id:int}/statuses/{status_id:int}",
        get_status,
        methods=["GET"],
    ),
]
