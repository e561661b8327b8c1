"""The gate that makes a reset or a restore atomic for the requests of this process: API
requests pass it shared, a state change waits for those in flight, holds new ones back, and lets
them through once the new state is complete. A request thus sees the state before or after a
change, never half of each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL_PREFIX = "/_kommodore/"


class StateGate:
    """A readers-writer gate for one event loop. Passing it shared costs two integer updates
    while no change waits, so the API's hot path does not notice it."""

    def __init__(self) -> None:
        self._inside = 0
        self._closed: asyncio.Event | None = None  # set while a change waits or runs
        self._drained = asyncio.Event()
        self._changing = asyncio.Lock()

    async def enter(self) -> None:
        """Pass shared: wait while a change waits or runs."""
        while self._closed is not None:
            await self._closed.wait()
        self._inside += 1

    def leave(self) -> None:
        self._inside -= 1
        if self._inside == 0:
            self._drained.set()

    @asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        await self.enter()
        try:
            yield
        finally:
            self.leave()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._changing:
            reopened = asyncio.Event()
            self._closed = reopened
            try:
                while self._inside:
                    self._drained.clear()
                    await self._drained.wait()
                yield
            finally:
                self._closed = None
                reopened.set()


class GateMiddleware:
    """Every HTTP request outside ``/_kommodore/`` passes the gate shared, for its whole
    length (the answer's body included)."""

    def __init__(self, app: ASGIApp, gate: StateGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        gate = self.gate  # enter/leave rather than a context manager: the hot path
        await gate.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            gate.leave()
