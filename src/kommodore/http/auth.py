"""The edge of authentication: read the request's headers and hand them to the auth service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from starlette.requests import Request

from kommodore.auth import store as auth_store
from kommodore.auth.service import Principal, TokenLookup, authenticate
from kommodore.context import AppContext
from kommodore.context import enter as enter_settings
from kommodore.db.database import Connection
from kommodore.http.body import parse_json, read_body
from kommodore.http.origin import request_host, request_origin, subdomain_of
from kommodore.http.phpquery import parse_query
from kommodore.http.problems import Problem
from kommodore.http.query import modified_since, with_values_of
from kommodore.http.reasons import note_principal
from kommodore.ratelimit.service import ALLOWED, Verdict, check


async def principal_of(
    request: Request,
    conn: Connection,
    ctx: AppContext,
    lookup: TokenLookup = auth_store.find_account_token,
) -> Principal:
    """Raises ``Unauthorized`` or ``PaymentRequired``; the app answers them as Kommo does.
    ``lookup`` reads the token's record (see ``auth.service.TokenLookup``)."""
    headers = request.headers
    host = request_host(request, ctx.settings.trust_forwarded_headers)
    return await authenticate(
        conn,
        ctx.verifier,
        authorization=headers.get("authorization"),
        host_subdomain=subdomain_of(host, ctx.settings.base_domain),
        context_user_id=headers.get("x-context-user-id"),
        lookup=lookup,
    )


@dataclass
class ApiRequest:
    """An authenticated API call: its connection (held for the whole request), who is asking,
    and the request's origin and parameters as Kommo reads them."""

    request: Request
    ctx: AppContext
    conn: Connection
    principal: Principal
    origin: str

    @property
    def account_id(self) -> int:
        return self.principal.account.id

    @property
    def url(self) -> str:
        """Origin and path, without the query string."""
        return f"{self.origin}{self.request.scope['path']}"

    @property
    def query(self) -> str:
        return query_string(self.request)

    @cached_property
    def params(self) -> dict[str, Any]:
        """The query string parsed with PHP's bracket rules, every string made safe to bind."""
        cleaned: dict[str, Any] = _clean(parse_query(self.query))
        return cleaned

    @cached_property
    def with_(self) -> frozenset[str]:
        return with_values_of(self.query)

    @property
    def modified_since(self) -> int | None:
        """``If-Modified-Since`` in Unix seconds; None when absent or unreadable."""
        return modified_since(self.request.headers.get("if-modified-since"))

    async def json(self) -> Any:
        """The request body as JSON (Kommo's 400s for an empty or malformed one); read
        only after authentication, so a stranger learns nothing from a body's errors."""
        return parse_json(await read_body(self.request))

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """The request's write transaction: every batch is all or nothing."""
        return self.ctx.db.transaction(self.conn)

    def require_admin(self) -> None:
        """Admin-only endpoints answer 403 to everyone else."""
        if not self.principal.actor.is_admin:
            raise Problem(403, "Access denied").because(
                f"admins only, and user {self.principal.actor.user_id} is not an admin"
            )


def query_string(request: Request) -> str:
    """The raw query string, as Kommo's parameters are read from it."""
    return bytes(request.scope.get("query_string", b"")).decode("latin-1")


def _text(value: str) -> str:
    """Bytes that are not UTF-8 and NUL become U+FFFD: neither can be stored, so nothing
    matches them, and PostgreSQL refuses them as parameters (a 500 for a client's typo)."""
    if value.isascii() and "\x00" not in value:
        return value
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace").replace("\x00", "\ufffd")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    return {_text(k): _clean(v) for k, v in value.items()}


TOO_MANY_DETAIL = (
    "You have sent too many requests in a given amount of time. Please try again later."
)
BLOCKED_DETAIL = "Access denied: too many requests"


def over_the_limit(verdict: Verdict) -> Problem:
    """Kommo's answer to a refused request: 429 past the second's limit, 403 while blocked,
    each with ``Retry-After``."""
    detail = TOO_MANY_DETAIL if verdict.status == 429 else BLOCKED_DETAIL
    problem = Problem(verdict.status, detail, retry_after=verdict.retry_after)
    return problem.with_headers({"Retry-After": str(verdict.retry_after)})


def _limit_reason(verdict: Verdict, principal: Principal) -> str:
    who = f"integration {principal.claims.integration_id} in account {principal.account.id}"
    if verdict.status == 429:
        return f"rate limit: over the requests a second allowed to {who}"
    return f"rate limit: {who} is blocked after repeated 429s for {verdict.retry_after} s more"


def is_bulk(request: Request) -> bool:
    """Collections and writes are bulk work; a GET that names its entity in the path (a lead by
    id, a lead's links) is quick and never queues behind them."""
    return request.method != "GET" or not request.path_params


@asynccontextmanager
async def api_request(
    request: Request, lookup: TokenLookup = auth_store.find_account_token
) -> AsyncIterator[ApiRequest]:
    """An authenticated API call on its one connection; ``lookup`` may read the token together
    with what the request reads (``auth.service.TokenLookup``)."""
    ctx: AppContext = request.app.state.ctx
    enter_settings(ctx.settings)  # for code below that has no ctx at hand (the outbox)
    origin = request_origin(request, ctx.settings.trust_forwarded_headers)
    async with ctx.db.connection(bulk=is_bulk(request)) as conn:
        principal = await principal_of(request, conn, ctx, lookup)
        note_principal(request.scope, principal)
        if (
            ctx.limiter is not None
            and (verdict := await check(ctx.limiter, principal)) is not ALLOWED
        ):
            raise over_the_limit(verdict).because(_limit_reason(verdict, principal))
        yield ApiRequest(request, ctx, conn, principal, origin)
