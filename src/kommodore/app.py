"""``create_app(settings)``: the ASGI application with its routes, middleware and lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kommodore.accounts import endpoints as accounts
from kommodore.admin import endpoints as admin
from kommodore.auth.keys import load_signing_key
from kommodore.auth.service import PaymentRequired, Unauthorized
from kommodore.auth.tokens import TokenVerifier
from kommodore.catalogs import endpoints as catalogs
from kommodore.console import endpoints as console
from kommodore.context import AppContext
from kommodore.control import endpoints as control
from kommodore.control.faults import Faults
from kommodore.control.gate import GateMiddleware, StateGate
from kommodore.control.journal import Journal
from kommodore.control.recording import RecordingMiddleware
from kommodore.control.service import Control
from kommodore.control.token import control_token
from kommodore.custom_fields import endpoints as custom_fields
from kommodore.db import open_database
from kommodore.db.database import Database, ping
from kommodore.events import endpoints as events
from kommodore.http import problems
from kommodore.http.hal import HAL_JSON
from kommodore.http.metrics import metrics
from kommodore.http.middleware import EdgeMiddleware
from kommodore.http.reasons import note_refusal
from kommodore.http.slashes import slash_redirect
from kommodore.http.unknown import unknown_route
from kommodore.leads import endpoints as leads
from kommodore.links import endpoints as links
from kommodore.loss_reasons import endpoints as loss_reasons
from kommodore.notes import endpoints as notes
from kommodore.oauth import endpoints as oauth
from kommodore.outbound import OutboundPolicy
from kommodore.parties import endpoints as parties
from kommodore.pipelines import endpoints as pipelines
from kommodore.ratelimit.service import build_limiter
from kommodore.settings import Settings
from kommodore.sources import endpoints as sources
from kommodore.tags import endpoints as tags
from kommodore.tasks import endpoints as tasks
from kommodore.users import endpoints as users
from kommodore.web import endpoints as web
from kommodore.webhooks import endpoints as webhooks
from kommodore.webhooks import worker as webhook_worker

log = structlog.get_logger("kommodore.http")


async def healthz(request: Request) -> Response:
    """Liveness and readiness: answers only when the database answers."""
    ctx: AppContext = request.app.state.ctx
    async with ctx.db.connection() as conn:
        await ping(conn)
    return JSONResponse({"healthy": True, "database": ctx.db.dialect})


async def _unauthorized(request: Request, exc: Exception) -> Response:
    # the client learns nothing of which check failed; the operator does (never the token)
    log.info("401 unauthorized", reason=str(exc), path=request.url.path)
    note_refusal(request.scope, f"token: {exc}")
    return problems.unauthorized()


async def _payment_required(request: Request, exc: Exception) -> Response:
    note_refusal(request.scope, "the account's paid period is over")
    return problems.payment_required()


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, problems.Problem)
    if exc.reason is not None:
        note_refusal(request.scope, exc.reason)
        if exc.status == 403:
            log.info("403 refused", reason=exc.reason, path=request.url.path)
    return problems.from_problem(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        settings: Settings = request.app.state.settings
        return slash_redirect(request) or unknown_route(request, settings.trust_forwarded_headers)
    if exc.status_code == 405:
        return problems.method_not_allowed()
    return problems.problem_response(exc.status_code, exc.detail)


def _ceiling_route(settings: Settings) -> list[Route]:
    """The benchmark's reference: the same stack answering fixed bytes with no lookup."""
    if not settings.bench_ceiling:
        return []
    body = (settings.data_dir / "bench-ceiling.json").read_bytes()

    async def ceiling(request: Request) -> Response:
        return Response(body, media_type=HAL_JSON)

    return [Route("/__bench/ceiling", ceiling)]


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    """Build the app; ``database`` lets tests share one already open."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = database or await open_database(
            settings.resolved_database_url, pooler=settings.database_pooler
        )
        key = load_signing_key(settings.jwt_private_key, settings.data_dir)
        limiter = await build_limiter(settings, db)
        app.state.ctx = AppContext(settings, db, key, TokenVerifier(key), limiter)
        if gate is not None:
            app.state.control = control.Plane(
                Control(db, gate), control_token(settings), gate, journal, faults
            )
        # Everything loaded so far lives as long as the process: keep it out of the cyclic
        # collector's full passes, which otherwise stall a request now and then.
        gc.freeze()
        try:
            # the outbox's delivery worker, unless KOMMODORE_WEBHOOK_WORKER_IN_PROCESS=false
            # (then `kommodore worker` processes deliver)
            async with webhook_worker.in_app(
                db, settings.webhooks, outbound=OutboundPolicy.from_settings(settings)
            ):
                yield
        finally:
            if limiter is not None:
                await limiter.close()
            if database is None:
                await db.close()

    gate = StateGate() if settings.resolved_control_api else None
    journal, faults = Journal(settings.journal_size), Faults()
    routes = [
        *leads.routes,
        *tasks.routes,
        *accounts.routes,
        *users.routes,
        *pipelines.routes,
        *loss_reasons.routes,
        *sources.routes,
        *custom_fields.routes,
        *tags.routes,
        *catalogs.routes,
        *parties.routes,
        *links.routes,
        *notes.routes,
        *oauth.routes,
        *web.routes,
        *webhooks.routes,
        *events.routes,
        *admin.routes,
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *_ceiling_route(settings),
        *(control.routes + console.routes if gate is not None else control.off_routes),
    ]
    middleware = [Middleware(EdgeMiddleware, access_log=settings.resolved_access_log)]
    if gate is not None:  # resets and restores wait for in-flight requests, never cut them
        middleware.append(Middleware(GateMiddleware, gate=gate))
        middleware.append(
            Middleware(
                RecordingMiddleware,
                journal=journal if settings.journal else None,
                faults=faults,
                body_bytes=settings.journal_body_bytes,
            )
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            Unauthorized: _unauthorized,
            PaymentRequired: _payment_required,
            problems.Problem: _problem,
            HTTPException: _http_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings  # for the server's protocol (kommodore.serving)
    app.router.redirect_slashes = False  # http.slashes redirects without trusting the Host
    return app


def create_app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` and Granian workers: settings from the environment."""
    from kommodore.logging import configure_logging

    settings = Settings()
    configure_logging(settings.resolved_log_format, settings.log_level)
    return create_app(settings)
