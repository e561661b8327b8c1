"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``.

``POST /oauth2/access_token``, ``GET /oauth2/account/current/subdomain`` and the older
``GET /oauth2/account/subdomain``, as on Kommo. They answer ``application/json`` (Kommo's OAuth
errors are not problem+json) and are never cached (RFC 6749 §5.1).
"""

from __future__ import annotations

import base64
import binascii
import time
from urllib.parse import parse_qsl, unquote_plus

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from kommodore.auth.service import authenticate
from kommodore.context import AppContext
from kommodore.http.body import (
    MAX_FIELDS,
    PUBLIC_BODY_BYTES,
    decode_json,
    read_body,
    read_form,
)
from kommodore.http.directory import routes_of
from kommodore.http.origin import request_host, subdomain_of
from kommodore.http.problems import Problem
from kommodore.oauth import service
from kommodore.oauth.service import ClientCredentials, Issuer, OAuthError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _json(body: object, status_code: int = 200, **headers: str) -> Response:
    return Response(
        msgspec.json.encode(body),
        status_code=status_code,
        media_type="application/json",
        headers={**NO_STORE, **headers},
    )


def _error(error: OAuthError, basic_used: bool = False) -> Response:
    headers = {}
    if error.status == 401 and error.hint == service.CLIENT_FAILED and basic_used:
        headers["WWW-Authenticate"] = 'Basic realm="OAuth"'
    return _json(error.body(), error.status, **headers)


def _host_subdomain(request: Request, ctx: AppContext) -> str | None:
    host = request_host(request, ctx.settings.trust_forwarded_headers)
    return subdomain_of(host, ctx.settings.base_domain)


def basic_credentials(authorization: str | None) -> ClientCredentials:
    """HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded)."""
    if not authorization:
        return ClientCredentials(None, None)
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return ClientCredentials(None, None)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ClientCredentials(None, None)
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return ClientCredentials(None, None)
    return ClientCredentials(unquote_plus(client_id) or None, unquote_plus(secret) or None)


async def token_parameters(request: Request) -> dict[str, object]:
    """The body as JSON when it is a JSON object (whatever the Content-Type says), else as a
    form (urlencoded or multipart). Read before login, so bounded to a few kilobytes.
    Unreadable bodies give no parameters, and so the 400 of the first one checked."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        form = await read_form(request, PUBLIC_BODY_BYTES)
        return {k: v for k, v in form.items() if isinstance(v, str)}
    raw = (await read_body(request, PUBLIC_BODY_BYTES)).strip()
    if raw.startswith(b"{"):
        try:
            data = decode_json(raw)
        except Problem:
            return {}
        return data if isinstance(data, dict) else {}
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}
    params: dict[str, object] = {}
    for key, value in pairs:
        params.setdefault(key, value)  # a repeated parameter: the first one counts
    return params


async def access_token(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    authorization = request.headers.get("authorization")
    basic = basic_credentials(authorization)
    issuer = Issuer(ctx.signing_key, ctx.settings.resolved_api_domain, ctx.settings.base_domain)
    try:
        pair = await service.token_grant(
            ctx.db,
            issuer,
            await token_parameters(request),
            basic,
            host_subdomain=_host_subdomain(request, ctx),
            now=int(time.time()),
        )
    except OAuthError as error:
        return _error(error, basic_used=basic.client_id is not None)
    return _json(pair)


async def current_subdomain(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    try:
        async with ctx.db.connection() as conn:
            found = await service.current_subdomain(
                conn,
                request.headers.get("x-refresh-token", "").strip() or None,
                base_domain=ctx.settings.base_domain,
                host_subdomain=_host_subdomain(request, ctx),
                now=int(time.time()),
            )
    except OAuthError as error:
        return _error(error)
    return _json(found)


async def account_subdomain(request: Request) -> Response:
    """``GET /oauth2/account/subdomain``: the account of a Bearer access token. Kommo calls it
    deprecated (and serves it on its www host only), but the official PHP SDK's
    ``getAccountDomain()`` still calls it. The token alone names the account, whatever the
    Host; a bad token is the API's 401 problem."""
    ctx: AppContext = request.app.state.ctx
    async with ctx.db.connection() as conn:
        principal = await authenticate(
            conn,
            ctx.verifier,
            authorization=request.headers.get("authorization"),
            host_subdomain=None,
            context_user_id=None,
        )
    account = principal.account
    return _json(service.account_domain(account.id, account.subdomain, ctx.settings.base_domain))


routes: list[BaseRoute] = routes_of(
    ("/oauth2/access_token", {"POST": access_token}),
    ("/oauth2/account/current/subdomain", {"GET": current_subdomain}),
    ("/oauth2/account/subdomain", {"GET": account_subdomain}),
)
