"""PostgreSQL through asyncpg: one pooled connection lent per request.

asyncpg prepares and caches each statement per connection, so the hot path pays for parsing
once. Acquiring per request rather than per query keeps pool overhead off every statement
(design.md: acquiring per query costs 2.4x).

Behind PgBouncer in transaction pooling mode (``pooler="pgbouncer"``) a client connection's
consecutive statements may run on different server connections, so a named statement prepared
on one is missing on the next. There each statement is sent unnamed, its Parse travelling with
its Bind and Execute in one round trip, while the statement's parameter and row types, asked
for once per client connection, are kept (``UnnamedStatements``): still one round trip per
statement, at the price of PostgreSQL parsing and planning it each time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg.prepared_stmt import PreparedStatement

from kommodore.db.database import Dialect, Query
from kommodore.db.kept_plans import KeptPlans

POOLERS = ("none", "pgbouncer")


def statement_cache_size(pooler: str) -> int:
    """asyncpg's named statement cache: off behind PgBouncer, whose server connections change
    under a client connection between transactions."""
    return 0 if pooler == "pgbouncer" else 100


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


class UnnamedStatements(asyncpg.Connection):  # type: ignore[misc]
    """An asyncpg connection that keeps, per statement text, the unnamed statement asyncpg
    described once: with the cache off asyncpg marks it unprepared, so each execution sends
    Parse, Bind and Execute together and any server connection behind PgBouncer can run it.

    asyncpg's public ``prepare()`` ties its handle to one lease of a pooled connection, so the
    described state is kept instead (``_get_statement``, asyncpg 0.29-0.32, pinned in
    constraints.txt) and a fresh handle wraps it for each execution."""

    __slots__ = ("described",)

    MAX_DESCRIBED = 2000
    """Statement texts kept per connection; the fixed statements are a few hundred, list pages
    add their combinations of filters, so past this the map starts over."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.described: dict[str, Any] = {}

    async def unnamed(self, query: str) -> PreparedStatement:
        """A handle on ``query`` that parses it with each execution, for this lease."""
        state = self.described.get(query)
        if state is None:
            if len(self.described) >= self.MAX_DESCRIBED:
                self.described.clear()
            state = await self._get_statement(query, None)
            self.described[query] = state
        return PreparedStatement(self, query, state)


class PooledConnection(PostgresConnection):
    """A lent connection behind PgBouncer: every statement through ``UnnamedStatements``, and
    each fixed read through the function that keeps its plan (``kept_plans``)."""

    __slots__ = ("_plans",)

    def __init__(self, conn: UnnamedStatements, plans: KeptPlans) -> None:
        super().__init__(conn)
        self._plans = plans

    async def _read(self, query: Query, args: tuple[Any, ...], one: bool) -> Any:
        text = await self._plans.text(self._conn, query.postgresql)
        try:
            statement = await self._conn.unnamed(text)
            return await (statement.fetchrow(*args) if one else statement.fetch(*args))
        except asyncpg.UndefinedFunctionError:
            if text == query.postgresql:
                raise
            self._plans.forget(query.postgresql)
            self._conn.described.pop(text, None)
            if self._conn.is_in_transaction():
                raise
            statement = await self._conn.unnamed(query.postgresql)
            return await (statement.fetchrow(*args) if one else statement.fetch(*args))

    async def fetch_one(self, query: Query, *args: Any) -> Any | None:
        return await self._read(query, args, True)

    async def fetch_all(self, query: Query, *args: Any) -> Sequence[Any]:
        rows: Sequence[Any] = await self._read(query, args, False)
        return rows

    async def execute(self, query: Query, *args: Any) -> None:
        if not args:  # the simple query protocol: one message, nothing to describe
            await self._conn.execute(query.postgresql)
            return
        await (await self._conn.unnamed(query.postgresql)).fetch(*args)

    async def execute_many(self, query: Query, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await (await self._conn.unnamed(query.postgresql)).executemany(rows)


BULK_LANE = 4
"""Bulk requests in progress at once. Each holds a pool connection, so quick requests always
find one of the rest; and each runs its own share of Python between its awaits, so the fewer
run at once, the sooner the loop turns to a quick request. With the app CPU-bound on one core,
4 keep PostgreSQL busy (docs/operations.md, "Fairness under load")."""


class PostgresDatabase:
    dialect: Dialect = "postgresql"

    def __init__(
        self, url: str, pool: asyncpg.Pool, max_size: int = 20, pooler: str = "none"
    ) -> None:
        self.url = url
        self.pooler = pooler
        self._pool = pool
        self._bulk_lane = asyncio.Semaphore(max(1, min(BULK_LANE, max_size - 4)))
        self._plans = KeptPlans()

    @classmethod
    async def connect(
        cls, url: str, *, min_size: int = 2, max_size: int = 20, pooler: str = "none"
    ) -> PostgresDatabase:
        if pooler not in POOLERS:
            raise ValueError(f"unknown database pooler {pooler!r}: one of {POOLERS}")
        pool = await asyncpg.create_pool(
            asyncpg_dsn(url), min_size=min_size, max_size=max_size, reset=_keep_session,
            statement_cache_size=statement_cache_size(pooler),
            connection_class=UnnamedStatements if pooler == "pgbouncer" else asyncpg.Connection,
        )  # fmt: skip
        return cls(url, pool, max_size, pooler)

    @asynccontextmanager
    async def connection(self, *, bulk: bool = False) -> AsyncIterator[PostgresConnection]:
        if not bulk:
            async with self._pool.acquire() as conn:
                yield self._lend(conn)
            return
        async with self._bulk_lane, self._pool.acquire() as conn:
            yield self._lend(conn)

    def _lend(self, conn: asyncpg.Connection) -> PostgresConnection:
        if self.pooler == "pgbouncer":
            return PooledConnection(conn, self._plans)
        return PostgresConnection(conn)

    @asynccontextmanager
    async def transaction(self, conn: object = None) -> AsyncIterator[PostgresConnection]:
        if isinstance(conn, PostgresConnection):
            async with conn._conn.transaction():
                yield conn
            return
        async with self._pool.acquire() as raw, raw.transaction():
            yield self._lend(raw)

    async def close(self) -> None:
        await self._pool.close()
