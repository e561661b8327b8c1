"""What a rate-limit back-end is: shared counters of requests per one-second window.

Counting happens in fixed one-second windows keyed by (account, integration, second), so "7 a
second pass, the 8th gets 429" holds exactly however many worker processes and app servers
share the counters (Redis or the database). The :class:`~kommodore.ratelimit.service.RateLimiter`
in front of a back-end hands it every hit that arrived in one turn of the event loop at once, so
the back-end is asked once per batch, not once per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from kommodore.settings import Settings


@dataclass(frozen=True, slots=True)
class Policy:
    """The limits, from settings (at most 7 a second; repeated 429s block)."""

    per_second: int
    block_after: int
    """429s within ``strike_window`` seconds that block the integration; 0 never blocks."""
    strike_window: int
    block_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            per_second=settings.rate_limit_per_second,
            block_after=settings.rate_limit_block_after,
            strike_window=settings.rate_limit_strike_window_seconds,
            block_seconds=settings.rate_limit_block_seconds,
        )


@dataclass(frozen=True, slots=True)
class Batch:
    """``count`` requests of one integration in one account, arrived in one event-loop turn."""

    account_id: int
    integration_id: str
    count: int


@dataclass(frozen=True, slots=True)
class Tally:
    """What the shared counters say about one :class:`Batch`.

    ``counted``: False when the integration was blocked before the batch arrived (its hits are
    not counted). ``hits``: the window's count after adding the batch. ``blocked_until``: the
    unix second a block ends (0 when none), including a block this batch's 429s just started.
    """

    counted: bool
    hits: int
    blocked_until: int


class Counters(Protocol):
    """A back-end: adds batches to the current window atomically and records strikes/blocks."""

    async def add(self, second: int, batches: Sequence[Batch]) -> Sequence[Tally]:
        """One atomic step per batch: read the block, add ``count`` to the window of
        ``second``, count the hits past the limit as strikes, block when they reach the
        policy's threshold. Answers one :class:`Tally` per batch, in order."""
        ...

    async def close(self) -> None: ...
