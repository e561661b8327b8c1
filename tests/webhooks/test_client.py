"""The webhook poster against scripted raw HTTP answers: what counts as the status, when a
connection is kept, and that a kept connection the receiver closed is retried once, fresh."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from kommodore.outbound import OutboundPolicy
from kommodore.webhooks.client import FormPoster, ProtocolError, parse_target

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )  # fmt: skip
    return head + await reader.readexactly(length)


def _serve(answers: list[bytes], requests: list[bytes], connections: list[int]) -> Answer:
    """Answer each request with the next scripted bytes; ``b""`` closes the connection
    without answering."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while answers:
                requests.append(await _read_request(reader))
                answer = answers.pop(0)
                if not answer:
                    break
                writer.write(answer)
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    return handle


def _run(answers: list[bytes], posts: int) -> tuple[list[int | str], list[bytes], int]:
    requests: list[bytes] = []
    connections: list[int] = []

    async def main() -> list[int | str]:
        server = await asyncio.start_server(_serve(answers, requests, connections), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        poster = FormPoster("test-agent", outbound=OutboundPolicy(allow_loopback=True))
        results: list[int | str] = []
        try:
            for _ in range(posts):
                try:
                    results.append(
                        await poster.post(f"http://127.0.0.1:{port}/p?x=1", b"a%5B0%5D=1")
                    )
                except Exception as exc:
                    results.append(type(exc).__name__)
                await asyncio.sleep(0.01)
        finally:
            await poster.aclose()
            server.close()
            await server.wait_closed()
        return results

    return asyncio.run(main()), requests, len(connections)


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_the_request_is_a_form_post() -> None:
    results, requests, _ = _run([OK], 1)
    assert results == [200]
    head, body = requests[0].split(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /p?x=1 HTTP/1.1"
    assert b"Content-Type: application/x-www-form-urlencoded" in lines
    assert b"User-Agent: test-agent" in lines
    assert b"Content-Length: 10" in lines
    assert body == b"a%5B0%5D=1"


def test_keep_alive_reuses_one_connection() -> None:
    chunked = b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    results, _, connections = _run([OK, chunked, b"HTTP/1.1 204 No Content\r\n\r\n", OK], 4)
    assert results == [200, 500, 204, 200]
    assert connections == 1


def test_connection_close_and_http10_open_a_new_connection() -> None:
    close = b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    old = b"HTTP/1.0 302 Found\r\nContent-Length: 0\r\n\r\n"
    results, _, connections = _run([close, old, OK], 3)
    assert results == [404, 302, 200]
    assert connections == 3


def test_informational_answers_are_skipped() -> None:
    results, _, _ = _run([b"HTTP/1.1 100 Continue\r\n\r\n" + OK], 1)
    assert results == [200]


def test_a_kept_connection_closed_by_the_receiver_is_retried_fresh_once() -> None:
    results, requests, connections = _run([OK, b"", OK], 2)
    assert results == [200, 200]
    assert connections == 2 and len(requests) == 3


def test_no_answer_on_a_fresh_connection_is_an_error() -> None:
    results, _, _ = _run([b""], 1)
    assert results == ["ConnectionError"]


def test_not_http_is_an_error() -> None:
    results, _, _ = _run([b"SSH-2.0-OpenSSH\r\n\r\n"], 1)
    assert results == [ProtocolError.__name__]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com", (False, "example.com", 80, "example.com", "/")),
        ("HTTPS://u:p@Example.com:8443/a/b?c=d&e",
         (True, "example.com", 8443, "Example.com:8443", "/a/b?c=d&e")),
        ("http://[::1]:81/x", (False, "::1", 81, "[::1]:81", "/x")),
    ],
)  # fmt: skip
def test_targets(url: str, expected: tuple[object, ...]) -> None:
    t = parse_target(url)
    assert (t.secure, t.host, t.port, t.host_header, t.path) == expected


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_target("ftp://example.com/")
