"""Rate-limit counters in the database when no Redis is configured (tables of migration 0005).

Every window count is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, atomic in SQLite
and PostgreSQL alike, so worker processes (and, on PostgreSQL, app servers) share exact counts;
the block is read by a statement of its own after it (Citus refuses a subquery inside
``INSERT ... RETURNING``; each statement names one account, one shard). On SQLite they run in
the writer's transaction (one writer at a time, across processes too); on PostgreSQL on a
connection of its own, outside the request pool, so requests waiting for the limiter can never
hold every pooled connection the limiter needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

from kommodore.db.database import Connection, Database, fetch_value, sql
from kommodore.ratelimit.limiter import Batch, Policy, Tally

KEEP_WINDOWS_SECONDS = 60
"""Windows older than this are deleted, at most once a minute per process."""

ADD_HITS = sql(
    "INSERT INTO rate_limit_windows (account_id, integration_id, window_start, hits) "
    "VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (account_id, integration_id, window_start) "
    "DO UPDATE SET hits = rate_limit_windows.hits + excluded.hits "
    "RETURNING hits"
)
BLOCKED_UNTIL = sql(
    "SELECT blocked_until FROM rate_limit_blocks WHERE account_id = $1 AND integration_id = $2"
)
"""Read after the hits are added, as one statement once read both: a block set meanwhile by
another process is seen, as it was then."""


ADD_STRIKES = sql(
    "INSERT INTO rate_limit_blocks "
    "(account_id, integration_id, strikes, strike_window_start, blocked_until) "
    "VALUES ($1, $2, $3, $4, NULL) "
    "ON CONFLICT (account_id, integration_id) DO UPDATE SET "
    "strikes = CASE WHEN rate_limit_blocks.strike_window_start > $5 "
    "THEN rate_limit_blocks.strikes + excluded.strikes ELSE excluded.strikes END, "
    "strike_window_start = CASE WHEN rate_limit_blocks.strike_window_start > $5 "
    "THEN rate_limit_blocks.strike_window_start ELSE excluded.strike_window_start END "
    "RETURNING strikes"
)
BLOCK = sql(
    "UPDATE rate_limit_blocks SET blocked_until = $3, strikes = 0, strike_window_start = $4 "
    "WHERE account_id = $1 AND integration_id = $2"
)
DELETE_OLD_WINDOWS = sql(
    # maintenance across accounts: windows are kept seconds, not data anyone reads back
    "DELETE FROM rate_limit_windows WHERE window_start < $1"
)


class DatabaseCounters:
    """:class:`~kommodore.ratelimit.limiter.Counters` in ``rate_limit_windows`` and
    ``rate_limit_blocks``. ``writer`` is the app's database on SQLite, a one-connection
    PostgreSQL pool of the limiter's own on PostgreSQL (see :func:`open_counters`)."""

    def __init__(self, writer: Database, policy: Policy, *, owns_writer: bool) -> None:
        self._writer = writer
        self._policy = policy
        self._owns_writer = owns_writer
        self._next_cleanup = 0

    def _session(self) -> AbstractAsyncContextManager[Connection]:
        # SQLite: the writer connection behind its lock; PostgreSQL: autocommit statements,
        # each atomic by itself (one round trip per batch on the hot path).
        if self._writer.dialect == "sqlite":
            return self._writer.transaction()
        return self._writer.connection()

    async def add(self, second: int, batches: Sequence[Batch]) -> Sequence[Tally]:
        p = self._policy
        tallies: list[Tally] = []
        async with self._session() as conn:
            for b in batches:
                hits = int(
                    await fetch_value(
                        conn, ADD_HITS, b.account_id, b.integration_id, second, b.count
                    )
                )
                found = await fetch_value(conn, BLOCKED_UNTIL, b.account_id, b.integration_id)
                blocked_until = int(found or 0)
                if blocked_until > second:
                    tallies.append(Tally(False, hits, blocked_until))
                    continue
                blocked_until = 0
                over = min(b.count, hits - p.per_second)
                if over > 0 and p.block_after > 0:
                    strikes = await fetch_value(
                        conn,
                        ADD_STRIKES,
                        b.account_id,
                        b.integration_id,
                        over,
                        second,
                        second - p.strike_window,
                    )
                    if int(strikes) >= p.block_after:
                        blocked_until = second + p.block_seconds
                        await conn.execute(
                            BLOCK, b.account_id, b.integration_id, blocked_until, second
                        )
                tallies.append(Tally(True, hits, blocked_until))
            if second >= self._next_cleanup:
                self._next_cleanup = second + KEEP_WINDOWS_SECONDS
                await conn.execute(DELETE_OLD_WINDOWS, second - KEEP_WINDOWS_SECONDS)
        return tallies

    async def close(self) -> None:
        if self._owns_writer:
            await self._writer.close()


async def open_counters(db: Database, policy: Policy) -> DatabaseCounters:
    """Counters on the app's database: SQLite shares the app's writer; PostgreSQL gets one
    connection of its own."""
    if db.dialect == "sqlite":
        return DatabaseCounters(db, policy, owns_writer=False)
    from kommodore.db.postgres import PostgresDatabase

    pooler = getattr(db, "pooler", "none")
    own = await PostgresDatabase.connect(db.url, min_size=1, max_size=1, pooler=pooler)
    return DatabaseCounters(own, policy, owns_writer=True)
