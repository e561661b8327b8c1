"""Fixed reads behind PgBouncer run through PL/pgSQL functions that keep their plans
(``kommodore.db.kept_plans``): every fixed read of the app can be wrapped, the wrapped read
answers what the statement answers (row arrays included), two app servers agree on one
function, and a function dropped under a running app is made again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

import kommodore.app  # noqa: F401 (imports every store module, so STATEMENTS holds every fixed text)
from kommodore.db.database import STATEMENTS, int_array, sql
from kommodore.db.kept_plans import PREFIX, KeptPlans, definition, keepable
from kommodore.db.postgres import PostgresDatabase, UnnamedStatements
from kommodore.leads.store import TOKEN_AND_LEAD
from tests.processes import pgbouncer

ROWS = sql(
    "SELECT v AS id, v * $1::bigint AS id, "
    "ARRAY(SELECT ROW(v, 'part ' || w) FROM generate_series(1, v) AS g(w)) AS parts "
    "FROM unnest($2::bigint[]) AS t(v) ORDER BY v"
)
"""Duplicate column names and a ``record[]`` column, as a lead read has."""
LOCKING = sql("SELECT id FROM leads WHERE account_id = $1 AND id = ANY($2::bigint[]) FOR UPDATE")


def test_only_fixed_reads_are_kept() -> None:
    assert keepable(ROWS.postgresql)
    assert keepable(TOKEN_AND_LEAD[True, True, False].postgresql)
    assert not keepable(LOCKING.postgresql)  # a row lock stays in the caller's statement
    assert not keepable("SELECT $1::bigint AS composed")  # not one of sql()'s texts
    writes = [t for t in STATEMENTS if t.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes and not any(keepable(t) for t in writes)


def test_the_name_hashes_the_whole_definition() -> None:
    create, call = definition("SELECT $1::bigint", ["bigint"], [("x", "bigint")])
    again, _ = definition("SELECT $1::bigint", ["bigint"], [("x", "bigint")])
    other, _ = definition("SELECT $1::bigint", ["bigint"], [("x", "numeric")])
    assert create == again and create.split("(")[0] != other.split("(")[0]
    name = create.split()[2].split("(")[0]
    assert name.startswith(PREFIX)
    assert call == f'SELECT c1 AS "x" FROM {name}($1::bigint) AS r(c1 bigint)'  # noqa: S608


async def _wrap_all(url: str) -> dict[str, str | None]:
    conn = await asyncpg.connect(url, statement_cache_size=0, connection_class=UnnamedStatements)
    plans = KeptPlans()
    try:
        return {
            text: await plans._create(conn, text)
            for text in STATEMENTS
            if keepable(text) and "kommodore_control." not in text  # made by the first snapshot
        }
    finally:
        await conn.close()


def test_every_fixed_read_of_the_app_gets_its_function(postgres_database: str) -> None:
    calls = asyncio.run(_wrap_all(postgres_database))
    assert len(calls) > 150
    assert [t for t, call in calls.items() if call is None] == []


async def _read_both_ways(url: str) -> tuple[list[Any], list[Any], int]:
    direct = await PostgresDatabase.connect(url, min_size=1, max_size=1)
    pooled = await PostgresDatabase.connect(url, min_size=1, max_size=1, pooler="pgbouncer")
    try:
        async with direct.connection() as conn:
            want = [
                tuple(r) for r in await conn.fetch_all(ROWS, 3, int_array("postgresql", [1, 2]))
            ]
        got = []
        for _ in range(3):  # the first read makes the function, the next ones call it
            async with pooled.connection() as conn:
                rows = await conn.fetch_all(ROWS, 3, int_array("postgresql", [1, 2]))
                got.append([tuple(r) for r in rows] + [list(rows[0].keys())])
        async with direct.connection() as conn:
            made = await conn.fetch_one(
                sql(
                    "SELECT count(*) FROM pg_proc WHERE proname LIKE 'kommodore\\_plan\\_%' "
                    "AND prosrc LIKE '%part %'"
                )
            )
        assert pooled._plans.calls[ROWS.postgresql] is not None  # the reads went through it
        return want, got, made[0]
    finally:
        await direct.close()
        await pooled.close()


def test_a_kept_read_answers_what_the_statement_answers(postgres_database: str) -> None:
    want, got, made = asyncio.run(_read_both_ways(postgres_database))
    assert want == [
        (1, 3, [(1, "part 1")]),
        (2, 6, [(2, "part 1"), (2, "part 2")]),
    ]
    assert got == [[*want, ["id", "id", "parts"]]] * 3
    assert made == 1


@pytest.fixture(scope="module")
def bouncer(postgres_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pgbouncer(postgres_database, tmp_path_factory.mktemp("pgbouncer-kept")) as url:
        yield url


async def _servers_race_then_one_is_dropped(bouncer: str, direct: str) -> list[object]:
    """Two app servers make the same function at once; then it is dropped under them."""
    apps = [
        await PostgresDatabase.connect(bouncer, min_size=1, max_size=1, pooler="pgbouncer")
        for _ in range(2)
    ]
    seen: list[object] = []

    async def read(db: PostgresDatabase) -> list[int]:
        async with db.connection() as conn:
            return [r[1] for r in await conn.fetch_all(ROWS, 5, int_array("postgresql", [1, 2]))]

    try:
        seen.append(await asyncio.gather(*(read(db) for db in apps)))
        admin = await asyncpg.connect(direct)
        try:
            names = await admin.fetch(
                "SELECT oid::regprocedure::text FROM pg_proc WHERE prosrc LIKE '%part %'"
            )
            seen.append(len(names))
            await admin.execute(f"DROP FUNCTION {names[0][0]}")
        finally:
            await admin.close()
        seen.append([await read(db) for db in apps])  # dropped: read plainly, made again
        seen.append([await read(db) for db in apps])
    finally:
        for db in apps:
            await db.close()
    return seen


def test_app_servers_share_a_function_and_remake_a_dropped_one(
    bouncer: str, postgres_database: str
) -> None:
    seen = asyncio.run(_servers_race_then_one_is_dropped(bouncer, postgres_database))
    assert seen == [[[5, 10], [5, 10]], 1, [[5, 10], [5, 10]], [[5, 10], [5, 10]]]


class _CancelledOnce(KeptPlans):
    """Its first creation is cancelled, as when the request's client goes away."""

    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        super().__init__()
        self.cancelled = False

    async def _create(self, conn: Any, text: str) -> str | None:
        if not self.cancelled:
            self.cancelled = True
            raise asyncio.CancelledError
        return await super()._create(conn, text)


async def _cancelled_then_made(url: str) -> tuple[object, str]:
    """A read cancelled while its function is being made leaves nothing behind that stops the
    next read from making it."""
    conn = await asyncpg.connect(url, statement_cache_size=0, connection_class=UnnamedStatements)
    plans = _CancelledOnce()
    try:
        with pytest.raises(asyncio.CancelledError):
            await plans.text(conn, ROWS.postgresql)
        after_cancel = plans.calls.get(ROWS.postgresql, "absent")
        return after_cancel, await plans.text(conn, ROWS.postgresql)
    finally:
        await conn.close()


def test_a_cancelled_creation_is_tried_again(postgres_database: str) -> None:
    after_cancel, sent = asyncio.run(_cancelled_then_made(postgres_database))
    assert after_cancel == "absent"
    assert sent.startswith("SELECT c1 AS ")
