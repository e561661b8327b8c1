"""Connections a client holds open: a deadline for the request's headers and a cap on how many,
under both servers, on a real server process. The database plays no part here, so SQLite only."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import KOMMODORE, free_port, serving

pytestmark = pytest.mark.e2e

HEADER_TIMEOUT = 1
MAX_CONNECTIONS = 20


def _start(server: str, tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = dict(os.environ)
    env.pop("KOMMODORE_DATABASE_URL", None)
    env.update(
        KOMMODORE_DATA_DIR=str(tmp_path / "data"),
        KOMMODORE_LOG_LEVEL="warning",
        KOMMODORE_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT),
        KOMMODORE_MAX_CONNECTIONS=str(MAX_CONNECTIONS),
    )
    with serving([*KOMMODORE, "serve", "--port", str(port), "--server", server], port, env):
        yield port


@pytest.fixture(params=["uvicorn", "granian"])
def port(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[int]:
    yield from _start(request.param, tmp_path)


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closes the connection (EOF or reset) before ``within`` seconds."""
    sock.settimeout(within)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_headers_trickled_past_the_deadline_close_the_connection(port: int):
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        assert _closed_by_server(sock, within=HEADER_TIMEOUT + 9)


def test_a_silent_connection_is_closed_too(tmp_path: Path):
    """uvicorn only: Granian (hyper) starts its header deadline at the first byte, so a
    connection that never sends one stays open there (docs/operations.md says so)."""
    for port in _start("uvicorn", tmp_path):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            assert _closed_by_server(sock, within=HEADER_TIMEOUT + 9)


def test_a_prompt_request_is_answered(port: int):
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        sock.settimeout(10)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")


def test_connections_past_the_cap_are_refused(tmp_path: Path):
    """uvicorn counts connections; Granian's cap is on requests in flight, so only uvicorn."""
    for port in _start("uvicorn", tmp_path):
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(MAX_CONNECTIONS)]
        try:
            time.sleep(0.2)  # let the server accept them all
            with socket.create_connection(("127.0.0.1", port)) as extra:
                assert _closed_by_server(extra, within=5)
            for sock in held:  # the ones under the cap were kept open
                sock.setblocking(False)
                with pytest.raises(BlockingIOError):
                    sock.recv(1)
        finally:
            for sock in held:
                sock.close()
        # once they are gone, new connections are served again
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
