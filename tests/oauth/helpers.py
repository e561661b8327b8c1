"""Helpers for OAuth tests: integrations and codes made through the services, in the app's loop.

``client.portal`` runs a coroutine in the event loop of the app under test, so the app's own
database (``app.state.ctx.db``) serves the helpers on both back-ends.
"""

from __future__ import annotations

import base64
import http.server
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.testclient import TestClient

from kommodore.db.database import Database
from kommodore.integrations import service as integrations
from kommodore.integrations.store import Integration
from kommodore.oauth.codes import issue_code
from tests.factories import Account

T = TypeVar("T")
REDIRECT = "https://integration.example/callback"
OAUTH_TYPE = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"
INVALID_REQUEST = (
    "The request is missing a required parameter, includes an invalid parameter value, "
    "includes a parameter more than once, or is otherwise malformed."
)
PAIR_KEYS = ["token_type", "expires_in", "server_time", "access_token", "refresh_token"]
UNAUTHORIZED_API = {
    "title": "Unauthorized",
    "type": "https://httpstatus.es/401",
    "status": 401,
    "detail": "Invalid user name or password",
}


def run(client: TestClient, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work(db)`` in the app's event loop with the app's database."""
    db: Database = client.app.state.ctx.db  # type: ignore[attr-defined]
    portal = client.portal
    assert portal is not None

    async def call() -> T:
        return await work(db)

    return portal.call(call)


def make_integration(
    client: TestClient,
    *,
    owner: Account | None = None,
    redirect_uri: str = REDIRECT,
    revocation_url: str | None = None,
    scopes: tuple[str, ...] = ("crm", "notifications"),
) -> Integration:
    async def work(db: Database) -> Integration:
        async with db.transaction() as conn:
            return await integrations.create(
                conn,
                name="Test integration",
                redirect_uri=redirect_uri,
                scopes=scopes,
                owner_account_id=None if owner is None else owner.id,
                revocation_url=revocation_url,
                now=int(time.time()),
            )

    return run(client, work)


def install(client: TestClient, account: Account, integration: Integration, user_id: int) -> None:
    async def work(db: Database) -> None:
        async with db.transaction() as conn:
            await integrations.install(
                conn,
                account_id=account.id,
                integration_id=integration.id,
                user_id=user_id,
                now=int(time.time()),
            )

    run(client, work)


def code_for(
    client: TestClient,
    account: Account,
    integration: Integration,
    user_id: int | None = None,
    *,
    redirect_uri: str | None = None,
    now: int | None = None,
) -> str:
    """What the consent page's Allow does: install, then issue a code."""
    user = account.admin if user_id is None else user_id
    install(client, account, integration, user)

    async def work(db: Database) -> str:
        async with db.transaction() as conn:
            return await issue_code(
                conn,
                account_id=account.id,
                user_id=user,
                integration_id=integration.id,
                redirect_uri=redirect_uri or integration.redirect_uri,
                scopes=list(integration.scopes),
                now=int(time.time()) if now is None else now,
            )

    return run(client, work)


def exchange(
    client: TestClient, integration: Integration, code: str, **extra: Any
) -> httpx.Response:
    body = {
        "client_id": integration.id,
        "client_secret": integration.secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": integration.redirect_uri,
        **extra,
    }
    return client.post("/oauth2/access_token", json=body)


def refresh(
    client: TestClient, integration: Integration, token: str, **extra: Any
) -> httpx.Response:
    body = {
        "client_id": integration.id,
        "client_secret": integration.secret,
        "grant_type": "refresh_token",
        "refresh_token": token,
        "redirect_uri": integration.redirect_uri,
        **extra,
    }
    return client.post("/oauth2/access_token", json=body)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def oauth_error(status: int, hint: str, detail: str = INVALID_REQUEST) -> dict[str, Any]:
    return {
        "hint": hint,
        "title": {400: "Bad Request", 401: "Unauthorized"}[status],
        "type": OAUTH_TYPE,
        "status": status,
        "detail": detail,
    }


def revoked_token(hint: str) -> dict[str, Any]:
    return oauth_error(401, hint, "The refresh token is invalid.")


CLIENT_FAILED = oauth_error(401, "Client authentication failed", "Client authentication failed")


def get_lead(client: TestClient, lead_id: int, access_token: str) -> httpx.Response:
    return client.get(
        f"/api/v4/leads/{lead_id}", headers={"Authorization": f"Bearer {access_token}"}
    )


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 recording every request it gets."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@contextmanager
def receiver(status: int = 200) -> Iterator[Receiver]:
    record = Receiver(url="")
    record.status = status

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            record.requests.append(
                {
                    "method": "GET",
                    "path": parts.path,
                    "query": {k: v for k, v in parse_qs(parts.query).items()},
                    "user_agent": self.headers.get("User-Agent"),
                }
            )
            self.send_response(record.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    record.url = f"http://127.0.0.1:{server.server_address[1]}/amo/revoked"
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
