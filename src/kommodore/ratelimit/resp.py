"""A lean Redis connection for the limiter's one script: hiredis packs commands and parses
replies, an asyncio protocol carries them, pipelined in order.

The limiter asks Redis once per event-loop turn of a busy process, on every API request's
path. redis-py's asyncio client spends about 250 us of CPU per call on a 2-core bench machine
(its connection pool, argument encoding, resp3 parsing in Python and two timeouts per call),
which was 7% of a lead read's throughput; this connection spends about 80 us
(docs/performance.md, "The limiter with Redis counters"). redis-py still reads the URL
(``redis.connection.parse_url``), so every URL it accepts means the same here.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import Any, cast

import hiredis
from redis.connection import parse_url

TIMEOUT = 1.0
"""Seconds to connect or to wait for one reply; the limiter fails open past it."""


class RedisError(Exception):
    """Redis answered with an error, or the connection failed or timed out."""


class _Protocol(asyncio.Protocol):
    """Replies resolve the oldest waiting call (Redis answers a connection's commands in
    order)."""

    def __init__(self) -> None:
        self.reader = hiredis.Reader()
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass of it

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(RedisError(f"connection lost: {exc or 'closed'}"))


class RespConnection:
    """One connection to the server of a ``redis://``, ``rediss://`` or ``unix://`` URL,
    opened on first use and again after a failure (with AUTH and SELECT as the URL says)."""

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        self._options: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
        self._timeout = timeout
        self._protocol: _Protocol | None = None
        self._connecting = asyncio.Lock()

    async def call(self, *args: str | int | bytes) -> Any:
        """One command's reply; a Redis error reply raises :class:`RedisError`, and so does a
        reply not back within the timeout (the connection is then dropped: later replies on it
        would answer the wrong calls)."""
        protocol = self._protocol
        if protocol is None or protocol.transport is None:
            protocol = await self._connect()
        reply = await self._send(protocol, args)
        if isinstance(reply, hiredis.ReplyError):
            raise RedisError(str(reply))
        return reply

    async def _send(self, protocol: _Protocol, args: tuple[str | int | bytes, ...]) -> Any:
        transport = protocol.transport
        if transport is None:
            raise RedisError("connection lost")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        protocol.waiting.append(future)
        transport.write(hiredis.pack_command(args))  # type: ignore[arg-type]  # stub says 1-tuple
        try:
            async with asyncio.timeout(self._timeout):
                return await future
        except TimeoutError:
            transport.abort()
            raise RedisError(f"no reply within {self._timeout} s") from None

    async def _connect(self) -> _Protocol:
        async with self._connecting:
            if self._protocol is not None and self._protocol.transport is not None:
                return self._protocol
            options = self._options
            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout(self._timeout):
                    if "path" in options:
                        _, protocol = await loop.create_unix_connection(_Protocol, options["path"])
                    else:
                        _, protocol = await loop.create_connection(
                            _Protocol,
                            options.get("host", "localhost"),
                            options.get("port", 6379),
                            ssl=_tls(options),
                        )
            except (OSError, TimeoutError) as exc:
                raise RedisError(f"cannot connect: {exc}") from exc
            if options.get("password"):
                auth = [options["username"]] if options.get("username") else []
                await self._checked(protocol, "AUTH", *auth, options["password"])
            if options.get("db"):
                await self._checked(protocol, "SELECT", options["db"])
            self._protocol = protocol
            return protocol

    async def _checked(self, protocol: _Protocol, *args: str | int) -> None:
        if isinstance(reply := await self._send(protocol, args), hiredis.ReplyError):
            if protocol.transport is not None:
                protocol.transport.close()
            raise RedisError(str(reply))

    async def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None


def _tls(options: dict[str, Any]) -> ssl.SSLContext | None:
    """TLS for ``rediss://``: the system's CAs (or ``ssl_ca_certs``), and no verification when
    the URL says ``ssl_cert_reqs=none``."""
    if "connection_class" not in options or "SSL" not in options["connection_class"].__name__:
        return None
    context = ssl.create_default_context(cafile=options.get("ssl_ca_certs"))
    if str(options.get("ssl_cert_reqs", "required")).lower() == "none":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
