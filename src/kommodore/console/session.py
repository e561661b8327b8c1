"""The console's session: a signed cookie of its own (never the OAuth pages' one).

It holds the CSRF token of the console's forms, how the person signed in (the control token,
or an admin's password), the account being looked at, and a Kommo long-lived token of that
account's admin, minted at sign-in: every read and move the console makes is authenticated by
the API's own code with that token, so rights and stage rules apply as to any integration.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from itsdangerous import BadSignature
from starlette.requests import Request
from starlette.responses import Response

from kommodore.context import AppContext
from kommodore.web.session import LIFETIME_SECONDS, secure, signer

COOKIE = "kommodore_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_LABEL = b"kommodore console cookie v1"
_SALT = "kommodore.console.session"

Via = Literal["control", "password"]


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    csrf: str
    via: Via | None = None
    email: str | None = None
    """The admin who signed in with a password (None for the control token)."""
    account_id: int | None = None
    token: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.via is not None


def anonymous() -> ConsoleSession:
    return ConsoleSession(csrf=secrets.token_urlsafe(32))


def read(request: Request) -> ConsoleSession | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    ctx: AppContext = request.app.state.ctx
    try:
        data = signer(ctx, _LABEL, _SALT).loads(cookie, max_age=LIFETIME_SECONDS)
    except BadSignature:
        return None
    return _decode(data)


def _decode(data: Any) -> ConsoleSession | None:
    if not isinstance(data, dict) or not isinstance(data.get("c"), str):
        return None
    via, email, account_id, token = data.get("v"), data.get("e"), data.get("a"), data.get("t")
    if via not in (None, "control", "password"):
        return None
    if account_id is not None and not isinstance(account_id, int):
        return None
    if not all(v is None or isinstance(v, str) for v in (email, token)):
        return None
    return ConsoleSession(data["c"], via, email, account_id, token)


def store(request: Request, response: Response, s: ConsoleSession) -> None:
    """HttpOnly, SameSite=Strict (the console never needs its cookie on a cross-site request),
    Path=/_kommodore/console, Secure on HTTPS."""
    ctx: AppContext = request.app.state.ctx
    payload = {"c": s.csrf, "v": s.via, "e": s.email, "a": s.account_id, "t": s.token}
    response.set_cookie(
        COOKIE,
        signer(ctx, _LABEL, _SALT).dumps(payload),
        max_age=LIFETIME_SECONDS,
        path="/_kommodore/console",
        secure=secure(request),
        httponly=True,
        samesite="strict",
    )


def clear(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/_kommodore/console", secure=secure(request), httponly=True,
        samesite="strict",
    )  # fmt: skip


def csrf_matches(s: ConsoleSession | None, submitted: object) -> bool:
    if s is None or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(s.csrf.encode(), submitted.encode())
