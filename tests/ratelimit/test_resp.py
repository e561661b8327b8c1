"""The limiter's own Redis connection (``kommodore.ratelimit.resp``) against the real server:
replies in order under pipelining, errors as errors, the URL's database and password, a lost
connection made again, a silent server timed out, and the script loaded again after a flush."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
import redis
import uvloop

from kommodore.ratelimit.limiter import Batch, Policy
from kommodore.ratelimit.redis import RedisCounters
from kommodore.ratelimit.resp import RedisError, RespConnection

T = TypeVar("T")


@pytest.fixture(params=["asyncio", "uvloop"], autouse=True)
def loop(request: pytest.FixtureRequest) -> str:
    """Both event loops: the server runs uvloop, whose transports are not asyncio's classes."""
    global _loop
    _loop = request.param
    return _loop


_loop = "asyncio"


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return uvloop.run(coro) if _loop == "uvloop" else asyncio.run(coro)


def test_pipelined_calls_get_their_own_replies_in_order(redis_url: str, redis_prefix: str) -> None:
    async def go() -> list[object]:
        conn = RespConnection(redis_url)
        try:
            counts = await asyncio.gather(
                *(conn.call("INCR", f"{redis_prefix}n") for _ in range(200))
            )
            await conn.call("SET", f"{redis_prefix}s", "café")
            return [counts, await conn.call("GET", f"{redis_prefix}s"), await conn.call("PING")]
        finally:
            await conn.close()

    assert _run(go()) == [list(range(1, 201)), "café".encode(), b"PONG"]


def test_an_error_reply_raises_and_the_connection_goes_on(
    redis_url: str, redis_prefix: str
) -> None:
    async def go() -> object:
        conn = RespConnection(redis_url)
        try:
            await conn.call("SET", f"{redis_prefix}s", "text")
            with pytest.raises(RedisError, match="WRONGTYPE"):
                await conn.call("LPUSH", f"{redis_prefix}s", "x")
            return await conn.call("GET", f"{redis_prefix}s")
        finally:
            await conn.close()

    assert _run(go()) == b"text"


def test_the_urls_database_is_selected(redis_url: str, redis_prefix: str) -> None:
    base = redis_url.rsplit("/", 1)[0]

    async def go() -> None:
        conn = RespConnection(f"{base}/5")
        try:
            await conn.call("SET", f"{redis_prefix}db", "five")
        finally:
            await conn.close()

    _run(go())
    five = redis.Redis.from_url(f"{base}/5")
    zero = redis.Redis.from_url(f"{base}/0")
    try:
        assert five.get(f"{redis_prefix}db") == b"five"
        assert zero.get(f"{redis_prefix}db") is None
    finally:
        five.delete(f"{redis_prefix}db")
        five.close()
        zero.close()


def test_a_refused_password_is_an_error(redis_url: str) -> None:
    scheme, rest = redis_url.split("://", 1)

    async def go() -> None:
        conn = RespConnection(f"{scheme}://:not-the-password@{rest}")
        await conn.call("PING")

    with pytest.raises(RedisError, match="AUTH"):
        _run(go())


def test_a_killed_connection_is_made_again(redis_url: str) -> None:
    async def go() -> list[object]:
        conn = RespConnection(redis_url)
        try:
            first = await conn.call("CLIENT", "ID")
            admin = redis.Redis.from_url(redis_url)
            admin.client_kill_filter(_id=first)
            admin.close()
            await asyncio.sleep(0.1)  # the loop reads the close
            second = await conn.call("CLIENT", "ID")
            return [first != second, await conn.call("PING")]
        finally:
            await conn.close()

    assert _run(go()) == [True, b"PONG"]


def test_a_silent_server_times_out_and_an_absent_one_is_refused() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    async def silent() -> float:
        conn = RespConnection(f"redis://127.0.0.1:{port}/0", timeout=0.2)
        started = time.monotonic()
        try:
            with pytest.raises(RedisError, match=r"no reply within 0\.2 s"):
                await conn.call("PING")
            return time.monotonic() - started
        finally:
            await conn.close()

    try:
        assert _run(silent()) < 5
    finally:
        listener.close()

    async def absent() -> None:
        await RespConnection(f"redis://127.0.0.1:{port}/0", timeout=0.2).call("PING")

    with pytest.raises(RedisError, match="cannot connect"):
        _run(absent())


def test_the_counters_load_their_script_again_after_a_flush(
    redis_url: str, redis_prefix: str
) -> None:
    policy = Policy(per_second=7, block_after=0, strike_window=60, block_seconds=300)

    async def go() -> list[int]:
        counters = RedisCounters(redis_url, policy, redis_prefix)
        second = int(time.time())
        try:
            hits = [(await counters.add(second, [Batch(1, "i", 3)]))[0].hits]
            admin = redis.Redis.from_url(redis_url)
            admin.script_flush()
            admin.close()
            hits.append((await counters.add(second, [Batch(1, "i", 2)]))[0].hits)
            hits.append((await counters.add(second, [Batch(1, "i", 1)]))[0].hits)
            return hits
        finally:
            await counters.close()

    assert _run(go()) == [3, 5, 6]


def test_rediss_urls_get_tls_as_they_ask() -> None:
    from redis.connection import parse_url

    from kommodore.ratelimit.resp import _tls

    assert _tls(parse_url("redis://127.0.0.1:6379/0")) is None
    verified = _tls(parse_url("rediss://cache.internal:6380/0"))
    assert verified is not None
    assert verified.verify_mode == ssl.CERT_REQUIRED and verified.check_hostname
    unverified = _tls(parse_url("rediss://cache.internal:6380/0?ssl_cert_reqs=none"))
    assert unverified is not None
    assert unverified.verify_mode == ssl.CERT_NONE and not unverified.check_hostname


def test_redis_without_hiredis_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """redis-py installed by hand without the extra: the start-up says which extra to add."""
    import importlib.util

    from kommodore.errors import MissingExtra
    from kommodore.ratelimit.service import build_limiter
    from kommodore.settings import Settings

    real = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "hiredis" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    settings = Settings(redis_url="redis://127.0.0.1:6379/0", rate_limit_enabled=True)
    with pytest.raises(MissingExtra, match=r"'hiredis'.*pip install 'kommodore\[redis\]'"):
        _run(build_limiter(settings, None))  # type: ignore[arg-type]
