"""A small HTTP/1.1 client for posting webhooks: keep-alive connections per destination,
plain asyncio streams, TLS through the stdlib.

Why not httpx: measured here, httpx posted 56-240 deliveries a second to a receiver that
answers at once (its connection pool's bookkeeping and a failed ``import sniffio`` on every
request), where these streams post several thousand; and httpx is only a development
dependency of kommodore. A webhook needs little of HTTP: one POST with a known length, the
status of the answer, its body read (and dropped) so the connection can be reused.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kommodore.outbound import OutboundPolicy

MAX_HEADERS = 100
DRAIN_CHUNK = 65536
STREAM_LIMIT = 65536
"""The longest status or header line accepted."""


class ProtocolError(Exception):
    """The receiver answered something that is not HTTP/1.x."""


@dataclass(frozen=True, slots=True)
class Target:
    secure: bool
    host: str
    port: int
    host_header: str
    path: str

    @property
    def key(self) -> tuple[bool, str, int]:
        return (self.secure, self.host, self.port)


def parse_target(url: str) -> Target:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    secure = scheme == "https"
    port = parts.port or (443 if secure else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(secure, parts.hostname, port, parts.netloc.rpartition("@")[2], path)


@dataclass(eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


@dataclass
class FormPoster:
    """POSTs form bodies; :meth:`post` answers the final status code or raises."""

    user_agent: str
    max_idle_per_host: int = 64
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)
    """Checks each new connection's destination (see :mod:`kommodore.outbound`)."""
    _idle: dict[tuple[bool, str, int], list[_Connection]] = field(default_factory=dict)
    _tls: ssl.SSLContext | None = None

    async def post(self, url: str, body: bytes) -> int:
        target = parse_target(url)
        head = (
            f"POST {target.path} HTTP/1.1\r\nHost: {target.host_header}\r\n"
            f"User-Agent: {self.user_agent}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nAccept: */*\r\n\r\n"
        ).encode("latin-1")
        return await self._send(target, head + body)

    async def get(self, url: str, user_agent: str) -> int:
        """GET ``url`` (a revocation notice: its query is the message) as ``user_agent``."""
        target = parse_target(url)
        request = (
            f"GET {target.path} HTTP/1.1\r\nHost: {target.host_header}\r\n"
            f"User-Agent: {user_agent}\r\nAccept: */*\r\n\r\n"
        ).encode("latin-1")
        return await self._send(target, request)

    async def _send(self, target: Target, request: bytes) -> int:
        """On a kept connection to ``target`` if there is one, else on a new one."""
        conn = self._take_idle(target)
        if conn is not None:
            try:
                return await self._exchange(target, conn, request)
            except _Stale:
                pass  # closed by the receiver while kept, nothing answered: once more, fresh
        return await self._exchange(target, await self._open(target), request, fresh=True)

    def _take_idle(self, target: Target) -> _Connection | None:
        idle = self._idle.get(target.key)
        while idle:
            conn = idle.pop()
            if conn.usable():
                return conn
            conn.close()
        return None

    async def _open(self, target: Target) -> _Connection:
        tls = None
        if target.secure:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        # connect to an address of the checked resolution; the name stays the TLS server name
        addresses = await self.outbound.addresses(target.host, target.port)
        for index, address in enumerate(addresses):
            try:
                reader, writer = await asyncio.open_connection(
                    address, target.port, ssl=tls,
                    server_hostname=target.host if tls else None, limit=STREAM_LIMIT,
                )  # fmt: skip
                break
            except OSError:
                if index == len(addresses) - 1:
                    raise
        return _Connection(reader, writer)

    async def _exchange(
        self, target: Target, conn: _Connection, request: bytes, *, fresh: bool = False
    ) -> int:
        keep = False
        try:
            try:
                conn.writer.write(request)
                await conn.writer.drain()
                first = await conn.reader.readline()
            except ConnectionError:
                if fresh:
                    raise
                raise _Stale from None
            if not first:
                if not fresh:
                    raise _Stale
                raise ConnectionError("connection closed without an answer")
            status, keep = await self._read_answer(conn.reader, first)
            return status
        finally:
            if keep and conn.usable():
                idle = self._idle.setdefault(target.key, [])
                if len(idle) < self.max_idle_per_host:
                    idle.append(conn)
                else:
                    conn.close()
            else:
                conn.close()

    async def _read_answer(self, reader: asyncio.StreamReader, line: bytes) -> tuple[int, bool]:
        """(final status, whether the connection may be reused); 1xx answers are skipped."""
        while True:
            version, status = _status_line(line)
            headers = await _headers(reader)
            if 100 <= status < 200 and status != 101:
                line = await reader.readline()
                continue
            break
        connection = headers.get("connection", "").lower()
        keep = version == "HTTP/1.1" and "close" not in connection
        if status in (204, 304) or status == 101:
            return status, keep and status != 101
        if "chunked" in headers.get("transfer-encoding", "").lower():
            await _drain_chunked(reader)
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise ProtocolError("bad Content-Length") from None
            while length > 0:
                chunk = await reader.read(min(length, DRAIN_CHUNK))
                if not chunk:
                    raise asyncio.IncompleteReadError(b"", length)
                length -= len(chunk)
        else:
            keep = False  # the body runs to the end of the connection; it is not read
        return status, keep

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


class _Stale(Exception):
    """A kept-alive connection closed before any answer."""


def _status_line(line: bytes) -> tuple[str, int]:
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"bad status line {line[:80]!r}")
    return parts[0].decode("latin-1"), int(parts[1])


async def _headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        line = await reader.readline()
        if line in (b"\r\n", b"\n"):
            return headers
        if not line:
            raise asyncio.IncompleteReadError(b"", None)
        name, sep, value = line.decode("latin-1").partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    raise ProtocolError("too many headers")


async def _drain_chunked(reader: asyncio.StreamReader) -> None:
    while True:
        size_line = await reader.readline()
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ProtocolError("bad chunk size") from None
        if size == 0:
            await _headers(reader)  # trailers, up to the blank line
            return
        await reader.readexactly(size + 2)
