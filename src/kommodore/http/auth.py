"""The edge of authentication: read the request's headers and hand them to the auth service."""

from __future__ import annotations

from starlette.requests import Request

from kommodore.auth.service import Principal, authenticate
from kommodore.context import AppContext
from kommodore.db.database import Connection
from kommodore.http.origin import request_host, subdomain_of


async def principal_of(request: Request, conn: Connection, ctx: AppContext) -> Principal:
    """Raises ``Unauthorized`` or ``PaymentRequired``; the app answers them as Kommo does."""
    headers = request.headers
    host = request_host(request, ctx.settings.trust_forwarded_headers)
    return await authenticate(
        conn,
        ctx.verifier,
        authorization=headers.get("authorization"),
        host_subdomain=subdomain_of(host, ctx.settings.base_domain),
        context_user_id=headers.get("x-context-user-id"),
    )
