"""Rate-limit counters in Redis (``KOMMODORE_REDIS_URL``): one script call per batch, over
the lean connection of :mod:`kommodore.ratelimit.resp`.

The Lua script runs atomically on the Redis server, so every worker process of every app server
sees one count per window. Per (account, integration) there are two keys: the window counter
``{prefix}{account}:{integration}:w:{second}`` (expires after 2 s) and a hash
``{prefix}{account}:{integration}:b`` holding the strike window and any block.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from kommodore.ratelimit.limiter import Batch, Policy, Tally
from kommodore.ratelimit.resp import RedisError, RespConnection

SCRIPT = """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local block_after = tonumber(ARGV[3])
local strike_window = tonumber(ARGV[4])
local block_seconds = tonumber(ARGV[5])
local keep = math.max(strike_window, block_seconds) + 1
local out = {}
for i = 1, #KEYS / 2 do
  local wkey, bkey = KEYS[2 * i - 1], KEYS[2 * i]
  local n = tonumber(ARGV[5 + i])
  local blocked_until = tonumber(redis.call('HGET', bkey, 'until') or '0')
  if blocked_until > now then
    out[#out + 1] = 0; out[#out + 1] = 0; out[#out + 1] = blocked_until
  else
    local hits = redis.call('INCRBY', wkey, n)
    if hits == n then redis.call('EXPIRE', wkey, 2) end
    local over = math.min(n, hits - limit)
    blocked_until = 0
    if over > 0 and block_after > 0 then
      local start = tonumber(redis.call('HGET', bkey, 'start') or '-1')
      local strikes
      if start <= now - strike_window then
        strikes = over
        redis.call('HSET', bkey, 'start', now, 'strikes', strikes)
      else
        strikes = redis.call('HINCRBY', bkey, 'strikes', over)
      end
      if strikes >= block_after then
        blocked_until = now + block_seconds
        redis.call('HSET', bkey, 'until', blocked_until, 'strikes', 0, 'start', now)
      end
      redis.call('EXPIRE', bkey, keep)
    end
    out[#out + 1] = 1; out[#out + 1] = hits; out[#out + 1] = blocked_until
  end
end
return out
"""

DEFAULT_PREFIX = "kommodore:rl:"
SCRIPT_SHA = hashlib.sha1(SCRIPT.encode()).hexdigest()  # noqa: S324 (Redis names scripts by SHA-1)


class RedisCounters:
    """:class:`~kommodore.ratelimit.limiter.Counters` on a Redis server."""

    def __init__(self, url: str, policy: Policy, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = RespConnection(url)
        self._policy = policy
        self._prefix = prefix

    async def add(self, second: int, batches: Sequence[Batch]) -> Sequence[Tally]:
        keys: list[str] = []
        args: list[str | int] = [
            second,
            self._policy.per_second,
            self._policy.block_after,
            self._policy.strike_window,
            self._policy.block_seconds,
        ]
        for b in batches:
            base = f"{self._prefix}{b.account_id}:{b.integration_id}:"
            keys.append(f"{base}w:{second}")
            keys.append(f"{base}b")
            args.append(b.count)
        try:
            out: list[Any] = await self._redis.call("EVALSHA", SCRIPT_SHA, len(keys), *keys, *args)
        except RedisError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
            out = await self._redis.call("EVAL", SCRIPT, len(keys), *keys, *args)  # caches it
        return [
            Tally(bool(out[i]), int(out[i + 1]), int(out[i + 2])) for i in range(0, len(out), 3)
        ]

    async def ping(self) -> bool:
        return bool(await self._redis.call("PING") == b"PONG")

    async def close(self) -> None:
        await self._redis.close()
