"""The one way to write a statement: :func:`sql` derives SQLite's text from PostgreSQL's, and
both run on their database."""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

from kommodore.db import open_database
from kommodore.db.database import (
    fetch_column,
    fetch_row,
    fetch_rows,
    fetch_value,
    int_array,
    sql,
)
from tests.conftest import Backend


def test_sqlite_text_is_derived_from_postgresql_text() -> None:
    q = sql(
        "SELECT id FROM leads WHERE account_id = $1 AND id = ANY($2::bigint[]) "
        "AND lower(name) = lower($3::text) ORDER BY id FOR UPDATE SKIP LOCKED"
    )
    assert q.sqlite == (
        "SELECT id FROM leads WHERE account_id = ?1 AND id IN (SELECT value FROM json_each(?2)) "
        "AND kommo_lower(name) = kommo_lower(?3) ORDER BY id"
    )
    assert q.postgresql.endswith("FOR UPDATE SKIP LOCKED")


def test_a_sqlite_text_of_its_own_is_written_the_same_way() -> None:
    q = sql("SELECT $1::bigint + 1", sqlite="SELECT $1 + 1")
    assert (q.postgresql, q.sqlite) == ("SELECT $1::bigint + 1", "SELECT ?1 + 1")


def test_a_derived_statement_runs_on_both_databases(backend: Backend) -> None:
    q = sql(
        "SELECT v FROM (SELECT 1 AS v UNION ALL SELECT 2 UNION ALL SELECT 3) t "
        "WHERE v = ANY($1::bigint[]) AND lower($2::text) = $3 ORDER BY v"
    )

    async def run() -> list[int]:
        db = await open_database(backend.url)
        try:
            async with db.connection() as conn:
                rows = await conn.fetch_all(q, int_array(conn.dialect, [1, 3]), "ÄB", "äb")
        finally:
            await db.close()
        return [r[0] for r in rows]

    assert asyncio.run(run()) == [1, 3]


def test_rows_come_back_typed_and_named(backend: Backend) -> None:
    class Pair(NamedTuple):
        number: int
        word: str

    q = sql("SELECT v, w FROM (SELECT 1 AS v, 'one' AS w UNION ALL SELECT 2, 'two') t ORDER BY v")
    none = sql("SELECT 1 WHERE 1 = 0")

    async def run() -> tuple[Any, ...]:
        db = await open_database(backend.url)
        try:
            async with db.connection() as conn:
                return (
                    await fetch_rows(conn, Pair, q),
                    await fetch_row(conn, Pair, q),
                    await fetch_row(conn, Pair, none),
                    await fetch_value(conn, q),
                    await fetch_value(conn, none),
                    await fetch_column(conn, q),
                )
        finally:
            await db.close()

    rows, first, missing, value, no_value, column = asyncio.run(run())
    assert rows == [Pair(1, "one"), Pair(2, "two")] and rows[1].word == "two"
    assert (first, missing, value, no_value, column) == (Pair(1, "one"), None, 1, None, [1, 2])
