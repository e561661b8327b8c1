"""What the ASGI servers are told, beyond the app: limits on connections a client holds open.

uvicorn closes an idle keep-alive connection, but never one that is still sending its request
line and headers: a thousand clients trickling a byte a minute held a thousand file descriptors
forever. :class:`GuardedHttpToolsProtocol` gives every request a deadline for its headers and
refuses connections past a cap; Granian has both built in (``header_read_timeout``,
``backpressure``), set from the same settings.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kommodore.settings import Settings

log = structlog.get_logger("kommodore.serving")

PROTOCOL = "kommodore.serving:GuardedHttpToolsProtocol"
"""An import string, so that uvicorn's worker processes load the class themselves."""


def _settings_of(app: Any) -> Settings:
    """The settings the app was built with (``create_app`` keeps them in ``app.state``)."""
    while app is not None:
        state = getattr(app, "state", None)
        settings = getattr(state, "settings", None)
        if isinstance(settings, Settings):
            return settings
        app = getattr(app, "app", None)
    return Settings()


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline and a connection cap."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = _settings_of(self.config.loaded_app)
        self.header_timeout = settings.header_timeout_seconds
        self.max_connections = settings.max_connections
        self.header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            log.warning("connection refused: too many open", limit=self.max_connections)
            transport.abort()
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # the next request on a kept-alive connection gets a deadline of its own

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        if self.header_deadline is None:
            self.header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _too_slow(self) -> None:
        self.header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``."""
    return {"http": PROTOCOL, "timeout_keep_alive": settings.keep_alive_seconds}


def granian_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``Granian(...)``."""
    from granian.http import HTTP1Settings

    return {
        "http1_settings": HTTP1Settings(
            header_read_timeout=int(settings.header_timeout_seconds * 1000),
            keep_alive=True,
        ),
        "backpressure": settings.max_connections,
    }
