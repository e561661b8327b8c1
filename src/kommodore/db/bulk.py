"""Synchronous bulk writes for the demo, the benchmark dataset and test fixtures.

Bulk loads skip the async stores on purpose: SQLite takes rows fastest through one
``executemany`` per table, PostgreSQL through ``COPY``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from kommodore.db import sqlalchemy_url


@contextmanager
def bulk_connection(database_url: str) -> Iterator[sa.Connection]:
    """One transaction over a fresh engine; committed when the block ends without error."""
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA busy_timeout=10000")
            dbapi_conn.execute("PRAGMA foreign_keys=ON")

    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def insert_rows(
    conn: sa.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert positional rows: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. ``table``
    and ``columns`` are names the loaders fix in code, never input."""
    cols = ", ".join(columns)
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        copy_sql = f"COPY {table} ({cols}) FROM STDIN"
        with raw.cursor() as cur, cur.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        cur = raw.cursor()
        insert = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 (names fixed in code, values bound)
        cur.executemany(insert, rows)
        cur.close()


def allocate_ids(conn: sa.Connection, entity: str, count: int) -> Sequence[int]:
    """Reserve ``count`` ids from the entity's global sequence (not always contiguous on
    PostgreSQL, where other writers may draw from the same sequence meanwhile)."""
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        nextval = f"SELECT nextval('{entity}_id_seq') FROM generate_series(1, :n)"  # noqa: S608 (a sequence name from the loaders' code)
        return list(conn.execute(sa.text(nextval), {"n": count}).scalars())
    start = conn.execute(
        sa.text(
            "UPDATE id_sequences SET next_value = next_value + :n WHERE name = :e "
            "RETURNING next_value - :n"
        ),
        {"n": count, "e": entity},
    ).scalar_one()
    return range(start, start + count)


def analyze(database_url: str) -> None:
    """Planner statistics after a bulk load, on PostgreSQL. Tables filled by ``COPY`` have
    none until autovacuum gets to them, and without them PostgreSQL plans a lead list's
    embedded parts with nested scans: measured in a soak right after ``kommodore demo``, 5 to
    9 s a statement and 6 requests a second, against hundreds once analyzed."""
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    try:
        if engine.dialect.name != "postgresql":
            return  # SQLite plans these by primary key without statistics
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    finally:
        engine.dispose()
