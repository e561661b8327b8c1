"""The embedded database: stdlib ``sqlite3`` in WAL mode.

Reads run directly on one connection in the event loop's thread: a point lookup takes
microseconds, far less than a hop to a thread pool would (design.md: 134k lookups/s direct vs
22-28k through aiosqlite). Writes go through a single writer connection behind a lock, which is
how SQLite wants to be written to.

Running in the loop's thread means a request's statements hold the loop until they finish. A
list page takes milliseconds; sixty of them queued in one turn of the loop once kept a health
check waiting for seconds. So bulk requests pass one at a time through a gate, each entering on
a turn of the loop of its own: between two of them the loop accepts connections and answers
every quick request that has arrived.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from kommodore.db.database import Dialect, Query

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-65536",
    "PRAGMA mmap_size=1073741824",
    "PRAGMA temp_store=MEMORY",
)


def sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///path`` URL."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a SQLite URL: {url!r}")
    return url.removeprefix("sqlite:///")


def _digits(text: str | None) -> str | None:
    """The digits of a phone number, for searching phones as digits only (PostgreSQL's
    ``regexp_replace(x, '[^0-9]', '', 'g')``)."""
    return None if text is None else "".join(c for c in text if c.isascii() and c.isdigit())


def _lower(value: str | None) -> str | None:
    """Unicode-aware lower case: SQLite's own ``lower()`` folds ASCII only."""
    return value.lower() if isinstance(value, str) else value


def open_sqlite(path: str) -> sqlite3.Connection:
    """A tuned connection in autocommit mode; transactions are explicit ``BEGIN``s."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # list queries are built per request; a large statement cache keeps the hot ones prepared
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=1024
    )
    conn.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.create_function("kommo_lower", 1, _lower, deterministic=True)
    conn.create_function("kommo_digits", 1, _digits, deterministic=True)
    return conn


class SqliteConnection:
    dialect: Dialect = "sqlite"

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def fetch_one(self, query: Query, *args: Any) -> Any | None:
        return self._conn.execute(query.sqlite, args).fetchone()

    async def fetch_all(self, query: Query, *args: Any) -> Sequence[Any]:
        return self._conn.execute(query.sqlite, args).fetchall()

    async def execute(self, query: Query, *args: Any) -> None:
        self._conn.execute(query.sqlite, args)

    async def execute_many(self, query: Query, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._conn.executemany(query.sqlite, rows)


class SqliteDatabase:
    dialect: Dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        path = sqlite_path(url)
        self._reader = SqliteConnection(open_sqlite(path))
        self._writer_conn = open_sqlite(path)
        self._writer = SqliteConnection(self._writer_conn)
        self._write_lock = asyncio.Lock()
        self._bulk_gate = asyncio.Lock()

    @asynccontextmanager
    async def connection(self, *, bulk: bool = False) -> AsyncIterator[SqliteConnection]:
        if not bulk:
            yield self._reader
            return
        async with self._bulk_gate:
            # Requests that arrived together would otherwise each run to the end in one turn
            # of the loop, the gate never closed; yielding once here makes them queue at it.
            await asyncio.sleep(0)
            yield self._reader

    @asynccontextmanager
    async def transaction(self, conn: object = None) -> AsyncIterator[SqliteConnection]:
        """Always on the writer connection: SQLite takes one writer at a time."""
        async with self._write_lock:
            self._writer_conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                self._writer_conn.execute("ROLLBACK")
                raise
            else:
                self._writer_conn.execute("COMMIT")

    async def copy_to(self, path: Path) -> None:
        """Write the whole database to ``path`` with SQLite's online backup: a consistent copy,
        taken between two write transactions, that other connections never wait on."""
        async with self._write_lock:
            target = sqlite3.connect(path)
            try:
                self._writer_conn.backup(target)
            finally:
                target.close()

    async def replace_with(self, path: Path) -> None:
        """Make the database the copy at ``path``, in one write transaction: a reader sees the
        state before or after it, never a mixture."""
        async with self._write_lock:
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                source.backup(self._writer_conn)
            finally:
                source.close()

    async def close(self) -> None:
        self._reader._conn.close()
        self._writer_conn.close()
