"""A bare ASGI client: the request's bytes reach the app as a server would hand them over.

Not httpx: its URL parser re-encodes a bad percent escape (``%zz`` arrives as ``%25zz``) and
refuses non-ASCII header values, so the oddities the fuzz sends would never reach the app;
and one request costs about half as much without its layers and the TestClient's thread hop.
The scope is built the way uvicorn builds it (``path`` percent-decoded, ``raw_path`` as sent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette


@dataclass
class Answer:
    status: int | None
    """None: the app finished without starting a response (a reset, on a real socket)."""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    error: BaseException | None = None
    """What the app raised, if anything (after a 500, or instead of any response)."""


class InProcess:
    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def request(
        self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> Answer:
        raw_path, _, query = target.partition(b"?")
        if not any(name.lower() == b"host" for name, _ in headers):
            headers = [(b"host", b"testserver"), *headers]
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(raw_path.decode("latin-1")),
            "raw_path": raw_path,
            "root_path": "",
            "query_string": query,
            "headers": [(name.lower(), value) for name, value in headers],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)] or [b""]
        answer = Answer(None)
        sent = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent < len(chunks):
                sent += 1
                return {
                    "type": "http.request",
                    "body": chunks[sent - 1],
                    "more_body": sent < len(chunks),
                }
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
                answer.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer.body += message.get("body", b"")

        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # the app's crash, after its 500 or instead of a response
            answer.error = exc
        return answer


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[InProcess]:
    """The app with its lifespan entered (database open, signing key loaded)."""
    async with app.router.lifespan_context(app):
        yield InProcess(app)
