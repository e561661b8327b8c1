"""The browser session: a signed cookie, no server-side state.

The cookie is signed with a secret derived from the server's RS256 key, which every worker and
every restart already shares (``KOMMODORE_JWT_PRIVATE_KEY`` or the key file), so a session made
by one process is good in all of them. It carries the CSRF token of its forms and, once the
person has signed in, the user rows their password opened, each with a fingerprint of the
password hash: a new password ends the sessions made with the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from kommodore.context import AppContext
from kommodore.http.origin import request_origin

COOKIE = "kommodore_session"
LIFETIME_SECONDS = 8 * 3600
CSRF_FIELD = "csrf_token"
MAX_LOGINS = 50
"""At most this many accounts per session, which keeps the cookie well under 4 KB."""

_LABEL = b"kommodore web session cookie v1"
_SALT = "kommodore.web.session"
_serializers: dict[str, URLSafeTimedSerializer] = {}


@dataclass(frozen=True, slots=True)
class SessionLogin:
    """One account the person signed in to: the user row and its password fingerprint."""

    account_id: int
    user_id: int
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Session:
    csrf: str
    email: str | None = None
    logins: tuple[SessionLogin, ...] = ()

    @property
    def signed_in(self) -> bool:
        return self.email is not None and bool(self.logins)


def anonymous() -> Session:
    """A session that holds only a CSRF token, for the sign-in form."""
    return Session(csrf=secrets.token_urlsafe(32))


def signed_in(email: str, logins: list[SessionLogin]) -> Session:
    """A new session (new CSRF token too) for a person who just signed in."""
    return Session(csrf=secrets.token_urlsafe(32), email=email, logins=tuple(logins[:MAX_LOGINS]))


def signer(ctx: AppContext, label: bytes, salt: str) -> URLSafeTimedSerializer:
    """A cookie signer keyed by the server's RS256 key and ``label`` (one per kind of cookie,
    so one kind can never be replayed as another)."""
    key = ctx.signing_key
    cache_key = f"{key.kid}:{salt}"
    serializer = _serializers.get(cache_key)
    if serializer is None:
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        secret = hmac.new(pem, label, hashlib.sha256).digest()
        serializer = URLSafeTimedSerializer(secret, salt=salt)
        _serializers[cache_key] = serializer
    return serializer


def _serializer(ctx: AppContext) -> URLSafeTimedSerializer:
    return signer(ctx, _LABEL, _SALT)


def _decode(data: Any) -> Session | None:
    if not isinstance(data, dict):
        return None
    csrf, email, logins = data.get("c"), data.get("e"), data.get("l", [])
    if not isinstance(csrf, str) or not csrf or (email is not None and not isinstance(email, str)):
        return None
    if not isinstance(logins, list):
        return None
    parsed: list[SessionLogin] = []
    for item in logins:
        if not (
            isinstance(item, list)
            and len(item) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) for v in item[:2])
            and isinstance(item[2], str)
        ):
            return None
        parsed.append(SessionLogin(item[0], item[1], item[2]))
    return Session(csrf=csrf, email=email, logins=tuple(parsed))


def read(request: Request) -> Session | None:
    """The request's session, or None when it has none, or it is forged or older than 8 h."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    ctx: AppContext = request.app.state.ctx
    try:
        data = _serializer(ctx).loads(cookie, max_age=LIFETIME_SECONDS)
    except BadSignature:  # also SignatureExpired and malformed payloads
        return None
    return _decode(data)


def secure(request: Request) -> bool:
    ctx: AppContext = request.app.state.ctx
    return request_origin(request, ctx.settings.trust_forwarded_headers).startswith("https:")


def store(request: Request, response: Response, session: Session) -> None:
    """Set the cookie: HttpOnly, SameSite=Lax, Path=/, Secure on HTTPS, 8 h."""
    ctx: AppContext = request.app.state.ctx
    payload: dict[str, Any] = {"c": session.csrf}
    if session.email is not None:
        payload["e"] = session.email
        payload["l"] = [[s.account_id, s.user_id, s.fingerprint] for s in session.logins]
    response.set_cookie(
        COOKIE,
        _serializer(ctx).dumps(payload),
        max_age=LIFETIME_SECONDS,
        path="/",
        secure=secure(request),
        httponly=True,
        samesite="lax",
    )


def clear(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", secure=secure(request), httponly=True, samesite="lax")


def csrf_matches(session: Session | None, submitted: object) -> bool:
    """True when the form's token is the session's; compared in constant time."""
    if session is None or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode(), submitted.encode())
