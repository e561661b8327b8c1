"""Raw bytes to a real server process and what came back, judged the way a client would:
a complete request must get a whole HTTP response, never a reset or a hang."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass

TIMEOUT = 10.0
"""A hang is a failure; no legitimate answer here takes seconds."""


@dataclass
class Reply:
    status: int | None
    complete: bool
    """A status line, headers, and the whole body its framing announced."""
    error: str | None
    """``reset``, ``timeout``, or what the socket raised; None if it closed cleanly."""
    head: bytes = b""


def _framed(data: bytes, head_request: bool = False) -> tuple[int | None, bool, bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    while sep and head.startswith(b"HTTP/1.1 1"):  # an interim 100 Continue: the answer follows
        head, sep, body = body.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1."):
        return None, False, head[:200]
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return None, False, head[:200]
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip()
    if head_request:
        return status, True, head
    if b"content-length" in fields:
        return status, len(body) >= int(fields[b"content-length"]), head
    if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
        return status, body.endswith(b"0\r\n\r\n"), head
    return status, status in (204, 304), head


def exchange(port: int, raw: bytes, *, complete: bool = True) -> Reply:
    """Send ``raw`` (and, for an incomplete request, close the write side) while reading,
    so an early answer to a large body is seen before the server hangs up."""
    head_request = raw.startswith(b"HEAD ")
    received = bytearray()
    error: str | None = None
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:

        def write() -> None:
            with contextlib.suppress(OSError):  # an early answer, then a close: read it
                sock.sendall(raw)
                if not complete:
                    sock.shutdown(socket.SHUT_WR)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
                status, whole, _ = _framed(bytes(received), head_request)
                if whole and complete:
                    break
        except TimeoutError:
            error = "timeout"
        except ConnectionResetError:
            error = "reset"
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
        writer.join(TIMEOUT)
    status, whole, head = _framed(bytes(received), head_request)
    return Reply(status, whole, error, head)
