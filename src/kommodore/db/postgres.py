"""PostgreSQL through asyncpg: one pooled connection lent per request.

asyncpg prepares and caches each statement per connection, so the hot path pays for parsing
once. Acquiring per request rather than per query keeps pool overhead off every statement
(design.md: acquiring per query costs 2.4x).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from kommodore.db.database import Dialect, Query


def asyncpg_dsn(url: str) -> str:
    """Strip a SQLAlchemy driver suffix (``postgresql+psycopg://``) for asyncpg."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's default reset query (RESET ALL, UNLISTEN, unlock
    advisory locks): kommodore sets no session state, and that query is one more round trip
    per request. asyncpg still rolls back a transaction left open."""


class PostgresConnection:
    dialect: Dialect = "postgresql"

    __slots__ = ("_conn",)

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetch_one(self, query: Query, *args: Any) -> Any | None:
        return await self._conn.fetchrow(query.postgresql, *args)

    async def fetch_all(self, query: Query, *args: Any) -> Sequence[Any]:
        rows: Sequence[Any] = await self._conn.fetch(query.postgresql, *args)
        return rows

    async def execute(self, query: Query, *args: Any) -> None:
        await self._conn.execute(query.postgresql, *args)

    async def execute_many(self, query: Query, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self._conn.executemany(query.postgresql, rows)


BULK_LANE = 4
"""Bulk requests in progress at once. Each holds a pool connection, so quick requests always
find one of the rest; and each runs its own share of Python between its awaits, so the fewer
run at once, the sooner the loop turns to a quick request. With the app CPU-bound on one core,
4 keep PostgreSQL busy (docs/operations.md, "Fairness under load")."""


class PostgresDatabase:
    dialect: Dialect = "postgresql"

    def __init__(self, url: str, pool: asyncpg.Pool, max_size: int = 20) -> None:
        self.url = url
        self._pool = pool
        self._bulk_lane = asyncio.Semaphore(max(1, min(BULK_LANE, max_size - 4)))

    @classmethod
    async def connect(cls, url: str, *, min_size: int = 2, max_size: int = 20) -> PostgresDatabase:
        pool = await asyncpg.create_pool(
            asyncpg_dsn(url), min_size=min_size, max_size=max_size, reset=_keep_session
        )
        return cls(url, pool, max_size)

    @asynccontextmanager
    async def connection(self, *, bulk: bool = False) -> AsyncIterator[PostgresConnection]:
        if not bulk:
            async with self._pool.acquire() as conn:
                yield PostgresConnection(conn)
            return
        async with self._bulk_lane, self._pool.acquire() as conn:
            yield PostgresConnection(conn)

    @asynccontextmanager
    async def transaction(self, conn: object = None) -> AsyncIterator[PostgresConnection]:
        if isinstance(conn, PostgresConnection):
            async with conn._conn.transaction():
                yield conn
            return
        async with self._pool.acquire() as raw, raw.transaction():
            yield PostgresConnection(raw)

    async def close(self) -> None:
        await self._pool.close()
