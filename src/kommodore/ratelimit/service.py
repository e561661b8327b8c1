"""Kommo's request limit: per integration and account, 7 a second by default.

Every API request asks :meth:`RateLimiter.hit` right after authentication. The hits that arrive
in one turn of the event loop travel to the shared counters together, grouped by (account,
integration): one Redis script call or one database transaction per turn, not per request, which
is what keeps the limiter's cost to a few percent of a lead read. Counting stays exact: the
back-end adds a group's size atomically and answers the window's new total, and the group's
requests take the places up to that total in arrival order.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from prometheus_client import Counter

from kommodore.auth.service import Principal
from kommodore.db.database import Database
from kommodore.ratelimit.limiter import Batch, Counters, Policy
from kommodore.settings import Settings

log = structlog.get_logger("kommodore.ratelimit")

ERROR_LOG_INTERVAL = 10.0
UNLIMITED = Counter(
    "kommodore_rate_limit_unchecked_requests",
    "Requests let through unlimited because the rate-limit counters failed",
)
"""Alert on any increase: the limiter fails open (docs/operations.md, "Rate limits and
Redis"), so a counter store that keeps failing shows here and in the error log, not as 429s."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """200: go on; 429: over the second's limit; 403: blocked. ``retry_after`` in whole
    seconds (>= 1) until the window frees or the block ends."""

    status: int
    retry_after: int = 0


ALLOWED = Verdict(200)

Key = tuple[int, str]


class RateLimiter:
    """Coalesces concurrent hits into batches for the shared :class:`Counters`.

    At most one batch is in flight per process: hits that arrive meanwhile wait for the next
    one, so the busier the process, the larger (and cheaper per request) the batches.
    """

    def __init__(
        self, counters: Counters, policy: Policy, clock: Callable[[], float] = time.time
    ) -> None:
        self.counters = counters
        self.policy = policy
        self.clock = clock
        self._pending: dict[Key, list[asyncio.Future[Verdict]]] = {}
        self._drainer: asyncio.Task[None] | None = None
        self._last_error_log = -math.inf
        self._unlimited = 0

    async def hit(self, account_id: int, integration_id: str) -> Verdict:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Verdict] = loop.create_future()
        key = (account_id, integration_id)
        waiting = self._pending.get(key)
        if waiting is None:
            self._pending[key] = [future]
        else:
            waiting.append(future)
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                pending, self._pending = self._pending, {}
                await self._flush(pending)
        finally:
            self._drainer = None

    async def _flush(self, pending: dict[Key, list[asyncio.Future[Verdict]]]) -> None:
        try:
            now = self.clock()
            second = int(now)
            batches = [Batch(a, i, len(futures)) for (a, i), futures in pending.items()]
            tallies = await self.counters.add(second, batches)
            limit = self.policy.per_second
            for futures, tally in zip(pending.values(), tallies, strict=True):
                if not tally.counted:
                    blocked = Verdict(403, max(1, math.ceil(tally.blocked_until - now)))
                    _resolve(futures, blocked, 0)
                    continue
                first = tally.hits - len(futures)  # hits counted before this group
                allowed = max(0, min(len(futures), limit - first))
                _resolve(futures, Verdict(429, max(1, math.ceil(second + 1 - now))), allowed)
        except Exception:  # fail open: the limit protects, it holds no data
            self._log_error(sum(len(f) for f in pending.values()))
            for futures in pending.values():
                _resolve(futures, ALLOWED, len(futures))

    def _log_error(self, requests: int) -> None:
        """Count every request let through; log the error with its traceback at most every
        ``ERROR_LOG_INTERVAL`` seconds (a store that is down fails every batch)."""
        UNLIMITED.inc(requests)
        self._unlimited += requests
        now = time.monotonic()
        if now - self._last_error_log >= ERROR_LOG_INTERVAL:
            self._last_error_log = now
            log.exception(
                "rate-limit counters failed; requests pass unlimited",
                unlimited_since_last_log=self._unlimited,
            )
            self._unlimited = 0

    async def close(self) -> None:
        if self._drainer is not None:
            self._drainer.cancel()
        await self.counters.close()


def _resolve(futures: list[asyncio.Future[Verdict]], over: Verdict, allowed: int) -> None:
    """The first ``allowed`` futures pass, the rest get ``over`` (a cancelled request's
    future is done already: its hit still counts, as it reached the server)."""
    for index, future in enumerate(futures):
        if not future.done():
            future.set_result(ALLOWED if index < allowed else over)


async def check(limiter: RateLimiter, principal: Principal) -> Verdict:
    """The verdict on one request of ``principal`` (logged when it refuses); the HTTP edge
    turns a refusal into Kommo's 429 or 403."""
    verdict = await limiter.hit(principal.account.id, principal.claims.integration_id)
    if verdict is not ALLOWED:
        log.info(
            "429 over the rate limit" if verdict.status == 429 else "403 blocked by the rate limit",
            account_id=principal.account.id,
            integration_id=principal.claims.integration_id,
            retry_after=verdict.retry_after,
        )
    return verdict


async def build_limiter(settings: Settings, db: Database) -> RateLimiter | None:
    """The limiter the settings ask for: None when off, Redis counters when
    ``KOMMODORE_REDIS_URL`` is set, database counters otherwise."""
    if not settings.rate_limit_enabled:
        return None
    policy = Policy.from_settings(settings)
    counters: Counters
    if settings.redis_url:
        from kommodore.errors import require

        require("redis", "redis", "KOMMODORE_REDIS_URL")
        require("hiredis", "redis", "KOMMODORE_REDIS_URL")
        from kommodore.ratelimit.redis import RedisCounters

        counters = RedisCounters(settings.redis_url, policy, settings.rate_limit_redis_prefix)
    else:
        from kommodore.ratelimit.database import open_counters

        counters = await open_counters(db, policy)
    return RateLimiter(counters, policy)
