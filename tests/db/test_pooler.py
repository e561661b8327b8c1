"""Behind PgBouncer in transaction pooling mode a client's consecutive transactions run on
different server connections: asyncpg's named statements are missing on the next one,
``pooler="pgbouncer"`` runs.

PgBouncer is given two server connections, both open, lent in turn (``server_round_robin``),
so every client hops between them; the fixtures are the real PgBouncer and PostgreSQL
(tests/processes.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from kommodore.db.database import int_array, sql
from kommodore.db.postgres import PostgresDatabase
from tests.processes import pgbouncer

pytestmark = pytest.mark.e2e

LOOKUP = sql("SELECT v * $1::bigint FROM unnest($2::bigint[]) AS t(v) ORDER BY v")
WRITE = sql("INSERT INTO pooler_probe (client, n) VALUES ($1::text, $2::bigint)")


@pytest.fixture(scope="module")
def hopping(postgres_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pgbouncer(
        postgres_database, tmp_path_factory.mktemp("pgbouncer-hop"),
        default_pool_size="2", min_pool_size="2", reserve_pool_size="0", server_round_robin="1",
    ) as url:  # fmt: skip
        asyncio.run(_open_both_servers(url))
        yield url


async def _open_both_servers(url: str) -> None:
    """Two transactions at once make PgBouncer open its second server connection now rather
    than on its next maintenance round; the two backends differ."""

    async def backend_pid() -> int:
        conn = await asyncpg.connect(url, statement_cache_size=0)
        try:
            async with conn.transaction():
                await asyncio.sleep(0.2)
                pid: int = await conn.fetchval("SELECT pg_backend_pid()")
                return pid
        finally:
            await conn.close()

    first, second = await asyncio.gather(backend_pid(), backend_pid())
    assert first != second


async def _two_clients(url: str, pooler: str) -> list[object]:
    """Client a, then client b, then a again, each on its own pool of one connection: the same
    statements, interleaved, reads and a transaction's writes and a batch."""
    a = await PostgresDatabase.connect(url, min_size=1, max_size=1, pooler=pooler)
    b = await PostgresDatabase.connect(url, min_size=1, max_size=1, pooler=pooler)
    seen: list[object] = []
    try:
        async with a.transaction() as conn:
            await conn.execute(sql("DROP TABLE IF EXISTS pooler_probe"))
            await conn.execute(sql("CREATE TABLE pooler_probe (client text, n bigint)"))
        for db, name in ((a, "a"), (b, "b"), (a, "a"), (b, "b")):
            async with db.connection() as conn:
                rows = await conn.fetch_all(LOOKUP, 2, int_array(conn.dialect, [1, 2, 3]))
                seen.append([r[0] for r in rows])
            async with db.transaction() as conn:
                await conn.execute(WRITE, name, 1)
                await conn.execute_many(WRITE, [(name, 2), (name, 3)])
        async with a.connection() as conn:
            counted = sql("SELECT client, sum(n) FROM pooler_probe GROUP BY client ORDER BY 1")
            seen.append([tuple(r) for r in await conn.fetch_all(counted)])
    finally:
        await a.close()
        await b.close()
    return seen


def test_unnamed_statements_run_on_whichever_server_connection(hopping: str) -> None:
    seen = asyncio.run(_two_clients(hopping, "pgbouncer"))
    assert seen == [[2, 4, 6]] * 4 + [[("a", 12), ("b", 12)]]


def test_named_statements_collide_there_which_is_why_the_setting_exists(
    hopping: str,
) -> None:
    with pytest.raises(asyncpg.PostgresError, match="prepared statement"):
        asyncio.run(_two_clients(hopping, "none"))


def test_an_unknown_pooler_is_refused(postgres_database: str) -> None:
    with pytest.raises(ValueError, match="unknown database pooler 'pgpool'"):
        asyncio.run(PostgresDatabase.connect(postgres_database, pooler="pgpool"))


def test_the_shipped_config_pools_transactions() -> None:
    text = (Path(__file__).resolve().parents[2] / "deploy/pgbouncer/pgbouncer.ini").read_text()
    assert "\npool_mode = transaction\n" in text
