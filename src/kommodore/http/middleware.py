"""Pure-ASGI middleware for what every response needs (kept off BaseHTTPMiddleware for speed)."""

from __future__ import annotations

import os
import re
import time
from email.utils import formatdate

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kommodore.http.metrics import observe
from kommodore.http.problems import PROBLEM_JSON, problem_body

log = structlog.get_logger("kommodore.http")

_SLASHES = re.compile(r"/{2,}")


class _DateHeader:
    """The HTTP ``Date`` value, formatted once a second rather than once a request."""

    __slots__ = ("_second", "_value")

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def value(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode()
        return self._value


class EdgeMiddleware:
    """Collapses ``//`` in paths, stamps ``Date`` and ``X-Request-Id``, and turns an unhandled
    exception into a problem+json 500 with a ``trace_id`` (never a bare traceback)."""

    def __init__(self, app: ASGIApp, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log
        self.date = _DateHeader()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if "//" in path:
            scope = dict(scope)
            scope["path"] = _SLASHES.sub("/", path)
            scope["raw_path"] = _SLASHES.sub("/", scope["raw_path"].decode("latin-1")).encode(
                "latin-1"
            )
        request_id = os.urandom(8).hex().encode()
        # every log line of this request carries its id (structlog's merge_contextvars)
        structlog.contextvars.bind_contextvars(request_id=request_id.decode())
        started = False
        status = 0
        began = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"date", self.date.value()),
                    (b"x-request-id", request_id),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error", request_id=request_id.decode(), path=scope["path"])
            if started:
                raise
            body = problem_body(500, "Internal server error", trace_id=request_id.decode()).replace(
                b'"title":"Internal Server Error"', b'"title":"ErrInternalServer"'
            )
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", PROBLEM_JSON.encode()),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
        finally:
            elapsed = time.perf_counter() - began
            observe(scope["method"], status or 500, elapsed)
            if self.access_log:
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 2),
                    request_id=request_id.decode(),
                )
