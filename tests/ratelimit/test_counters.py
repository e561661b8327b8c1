"""The limiter and its two back-ends (Redis, the database on SQLite and PostgreSQL).

Two :class:`RateLimiter` objects on one store stand for two worker processes: each has its own
Redis client or database connection, as a process would.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from kommodore.db import open_database
from kommodore.db.migrate import upgrade
from kommodore.ratelimit.database import open_counters
from kommodore.ratelimit.limiter import Policy
from kommodore.ratelimit.redis import RedisCounters
from kommodore.ratelimit.service import ALLOWED, RateLimiter, Verdict
from tests.ratelimit.clock import FakeClock

POLICY = Policy(per_second=7, block_after=0, strike_window=60, block_seconds=300)
TOO_MANY = Verdict(429, 1)

Store = Callable[[Policy, FakeClock], AbstractAsyncContextManager[RateLimiter]]


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("ratelimit") / "kommodore.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def store(request: pytest.FixtureRequest, sqlite_url: str) -> Store:
    """``open(policy, clock)``: an async context manager giving a new limiter ("process")
    on the store under test; every limiter opened in one test shares its counters."""
    kind: str = request.param
    if kind == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
    elif kind == "postgresql":
        url = request.getfixturevalue("postgres_database")
    else:
        url = sqlite_url

    @asynccontextmanager
    async def open_limiter(policy: Policy, clock: FakeClock) -> AsyncIterator[RateLimiter]:
        if kind == "redis":
            limiter = RateLimiter(RedisCounters(url, policy, prefix), policy, clock)
            try:
                yield limiter
            finally:
                await limiter.close()
            return
        db = await open_database(url)
        try:
            limiter = RateLimiter(await open_counters(db, policy), policy, clock)
            try:
                yield limiter
            finally:
                await limiter.close()
        finally:
            await db.close()

    return open_limiter


def account() -> int:
    """Accounts of their own per test: the database store is shared by the module."""
    return random.randrange(10**9, 10**12)


async def processes(
    stack: AsyncExitStack, store: Store, policy: Policy, clock: FakeClock, n: int
) -> list[RateLimiter]:
    return [await stack.enter_async_context(store(policy, clock)) for _ in range(n)]


def test_concurrent_hits_from_two_processes_pass_exactly_the_limit(store: Store) -> None:
    async def run() -> None:
        clock = FakeClock()
        acc = account()
        async with AsyncExitStack() as stack:
            a, b = await processes(stack, store, POLICY, clock, 2)

            async def one(i: int) -> Verdict:
                for _ in range(i % 3):  # spread the hits over several batches
                    await asyncio.sleep(0)
                return await (a if i % 2 else b).hit(acc, "integration")

            verdicts = await asyncio.gather(*(one(i) for i in range(50)))
            assert verdicts.count(ALLOWED) == 7
            assert verdicts.count(TOO_MANY) == 43
            # the next second is a fresh window: again exactly 7
            clock.advance(1)
            verdicts = await asyncio.gather(*(one(i) for i in range(20)))
            assert verdicts.count(ALLOWED) == 7
            assert verdicts.count(TOO_MANY) == 13

    asyncio.run(run())


def test_sequential_hits_in_arrival_order(store: Store) -> None:
    async def run() -> None:
        clock = FakeClock(1_900_000_000.9)
        acc = account()
        async with store(POLICY, clock) as limiter:
            verdicts = [await limiter.hit(acc, "i") for _ in range(9)]
            assert verdicts == [ALLOWED] * 7 + [TOO_MANY] * 2
            clock.advance(0.05)  # the same second
            assert await limiter.hit(acc, "i") == TOO_MANY
            clock.advance(0.1)  # the next one
            assert await limiter.hit(acc, "i") == ALLOWED

    asyncio.run(run())


def test_each_integration_in_each_account_has_its_own_count(store: Store) -> None:
    async def run() -> None:
        clock = FakeClock()
        acc, other = account(), account()
        async with store(POLICY, clock) as limiter:
            keys = [(acc, "one"), (acc, "two"), (other, "one")]
            verdicts = await asyncio.gather(*(limiter.hit(*k) for k in keys for _ in range(9)))
            for index in range(3):
                assert list(verdicts[9 * index : 9 * index + 9]) == [ALLOWED] * 7 + [TOO_MANY] * 2

    asyncio.run(run())


def test_repeated_429s_block_until_the_block_ends(store: Store) -> None:
    policy = Policy(per_second=7, block_after=5, strike_window=60, block_seconds=10)

    async def run() -> None:
        clock = FakeClock(1_900_000_000.25)
        acc = account()
        async with AsyncExitStack() as stack:
            a, b = await processes(stack, store, policy, clock, 2)
            first = [await a.hit(acc, "i") for _ in range(11)]
            assert first == [ALLOWED] * 7 + [TOO_MANY] * 4  # 4 strikes: not yet
            clock.advance(1)
            assert await b.hit(acc, "i") == ALLOWED  # a new second, still not blocked
            assert [await b.hit(acc, "i") for _ in range(7)] == [ALLOWED] * 6 + [TOO_MANY]
            # the 5th strike blocked the integration: every process answers 403 now,
            # with the seconds left (the block runs 10 s from the second of the 5th strike)
            assert await a.hit(acc, "i") == Verdict(403, 10)
            assert await b.hit(acc, "i") == Verdict(403, 10)
            assert await a.hit(acc, "other") == ALLOWED  # another integration is not blocked
            clock.advance(9.5)
            assert await b.hit(acc, "i") == Verdict(403, 1)
            clock.advance(0.25)  # second 1_900_000_011: the block is over, strikes start anew
            verdicts = [await a.hit(acc, "i") for _ in range(11)]
            assert verdicts == [ALLOWED] * 7 + [TOO_MANY] * 4
            assert await a.hit(acc, "i") == TOO_MANY  # 5th strike of a new strike window

    asyncio.run(run())


def test_strikes_expire_with_their_window(store: Store) -> None:
    policy = Policy(per_second=1, block_after=3, strike_window=10, block_seconds=60)

    async def run() -> None:
        clock = FakeClock()
        acc = account()
        async with store(policy, clock) as limiter:
            assert [await limiter.hit(acc, "i") for _ in range(3)] == [ALLOWED] + [TOO_MANY] * 2
            clock.advance(10)  # the strike window (10 s) has passed: the 2 strikes are forgotten
            assert [await limiter.hit(acc, "i") for _ in range(3)] == [ALLOWED] + [TOO_MANY] * 2
            clock.advance(1)
            assert await limiter.hit(acc, "i") == ALLOWED
            assert await limiter.hit(acc, "i") == TOO_MANY  # 3rd strike within 10 s: blocked
            assert await limiter.hit(acc, "i") == Verdict(403, 60)

    asyncio.run(run())


def test_unreachable_redis_lets_requests_through_loudly() -> None:
    """Fail open: the limit protects the server, it holds no data worth refusing service for.
    But never silently: each request let through counts in
    ``kommodore_rate_limit_unchecked_requests_total`` and the error is logged (once per 10 s)."""

    def unchecked() -> float:
        return REGISTRY.get_sample_value("kommodore_rate_limit_unchecked_requests_total") or 0.0

    async def run() -> None:
        counters = RedisCounters("redis://127.0.0.1:1/0", POLICY)
        limiter = RateLimiter(counters, POLICY, FakeClock())
        try:
            verdicts = await asyncio.gather(*(limiter.hit(1, "i") for _ in range(10)))
            assert verdicts == [ALLOWED] * 10
            assert await limiter.hit(1, "i") == ALLOWED
        finally:
            await limiter.close()

    before = unchecked()
    with capture_logs() as logs:
        asyncio.run(run())
    assert unchecked() - before == 11
    errors = [e for e in logs if e["log_level"] == "error"]
    assert [(e["event"], e["unlimited_since_last_log"]) for e in errors] == [
        ("rate-limit counters failed; requests pass unlimited", 10)
    ]
