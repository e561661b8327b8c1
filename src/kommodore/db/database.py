"""One async interface over the two databases the server runs on.

Every statement is written one way: :func:`sql`, once, in PostgreSQL's text with ``$n``
parameters for every value, at import time. It derives the SQLite text, so a statement exists in
one place; a store gives SQLite a text of its own only where the two really differ.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import msgspec

Dialect = Literal["sqlite", "postgresql"]


@dataclass(frozen=True, slots=True)
class Query:
    """A statement with its text for each dialect, prepared once at import time."""

    postgresql: str
    sqlite: str

    def text(self, dialect: Dialect) -> str:
        return self.sqlite if dialect == "sqlite" else self.postgresql


_PG_PARAM = re.compile(r"\$(\d+)")
_ANY = re.compile(r"([\w.]+) = ANY\((\$\d+)::\w+\[\]\)")
_CAST = re.compile(r"::\w+(\[\])?")
_ROW_LOCK = re.compile(r" FOR UPDATE( SKIP LOCKED)?")


def _sqlite_text(postgresql: str) -> str:
    text = _ANY.sub(r"\1 IN (SELECT value FROM json_each(\2))", postgresql)
    text = _ROW_LOCK.sub("", _CAST.sub("", text)).replace("lower(", "kommo_lower(")
    return _PG_PARAM.sub(r"?\1", text)


STATEMENTS: dict[str, str] = {}
"""Every statement :func:`sql` made, PostgreSQL's text -> the module that wrote it: what
``tests/db/test_citus_rules.py`` checks against the sharding rules (docs/architecture.md,
"Statements that shard"). Keyed by text, so a statement a cached builder makes again is
recorded once."""


def sql(postgresql: str, *, sqlite: str | None = None) -> Query:
    """The one way to write a statement: PostgreSQL's text, with a bound ``$n`` for every
    value. SQLite's text is derived from it (or from ``sqlite``, written the same way, where the
    two differ): ``$n`` becomes ``?n``; ``col = ANY($n::T[])`` becomes ``json_each`` (a list
    travels as JSON text there, see :func:`int_array`); casts and row locks are dropped (SQLite
    has neither: its one writer already serialises a batch); ``lower()`` becomes the app's
    Unicode-aware ``kommo_lower()`` (SQLite's folds ASCII only)."""
    STATEMENTS.setdefault(postgresql, sys._getframe(1).f_globals.get("__name__", "?"))
    return Query(postgresql, _sqlite_text(postgresql if sqlite is None else sqlite))


def composed(dialect: Dialect, text: str) -> Query:
    """A statement put together per request (a list page's filters) from fixed fragments, in
    ``dialect``'s own text; every value in it is still a bound parameter."""
    return Query(text, text) if dialect == "postgresql" else Query("", text)


Row = Mapping[str, Any]
"""sqlite3.Row and asyncpg.Record both read by column name and by position."""


class Connection(Protocol):
    """A connection held for the length of one request (design.md: not one per query)."""

    dialect: Dialect

    async def fetch_one(self, query: Query, *args: Any) -> Any | None: ...

    async def fetch_all(self, query: Query, *args: Any) -> Sequence[Any]: ...

    async def execute(self, query: Query, *args: Any) -> None: ...

    async def execute_many(self, query: Query, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for many parameter rows: one round trip per batch, not per row."""
        ...


class Database(Protocol):
    """A pool of connections; ``connection()`` lends one for a request."""

    dialect: Dialect
    url: str

    def connection(self, *, bulk: bool = False) -> AbstractAsyncContextManager[Connection]:
        """Lend a connection. ``bulk`` work (a list page, a batch write) queues in a lane of
        its own, so however much of it arrives, a quick request (one entity by id, the health
        check) never waits behind it: on SQLite one bulk request runs at a time and the event
        loop serves quick ones between them; on PostgreSQL bulk work never holds the last
        connections of the pool."""
        ...

    def transaction(
        self, conn: Connection | None = None
    ) -> AbstractAsyncContextManager[Connection]:
        """A transaction, committed when the block ends without an exception. ``conn`` (one
        already lent for the request) is reused where the database allows it: PostgreSQL then
        needs one pooled connection per request, not two."""
        ...

    async def close(self) -> None: ...


RowT = TypeVar("RowT", bound=tuple[Any, ...] | msgspec.Struct)
"""A typed row: a NamedTuple, or a msgspec Struct that a wire shape extends; either is built
from the columns in SELECT order (``row(*r)``)."""


async def fetch_rows(
    conn: Connection, row: Callable[..., RowT], query: Query, *args: Any
) -> list[RowT]:
    """The rows of ``query`` as typed rows (a NamedTuple whose fields follow the SELECT list),
    read by name everywhere after, never by position."""
    return [row(*r) for r in await conn.fetch_all(query, *args)]


async def fetch_row(
    conn: Connection, row: Callable[..., RowT], query: Query, *args: Any
) -> RowT | None:
    """The first row of ``query`` as a typed row, or None."""
    found = await conn.fetch_one(query, *args)
    return None if found is None else row(*found)


async def fetch_value(conn: Connection, query: Query, *args: Any) -> Any:
    """The first column of the first row (None without a row): a count, an id, a flag."""
    found = await conn.fetch_one(query, *args)
    return None if found is None else found[0]


async def fetch_column(conn: Connection, query: Query, *args: Any) -> list[Any]:
    """The first column of every row: the ids a lookup found."""
    return [r[0] for r in await conn.fetch_all(query, *args)]


def int_array(dialect: Dialect, values: Sequence[int]) -> Any:
    """Pass a list of ids as one parameter: a bigint[] on PostgreSQL, JSON text on SQLite."""
    if dialect == "sqlite":
        return "[" + ",".join(str(int(v)) for v in values) + "]"
    return list(values)


def text_array(conn: Connection, values: Sequence[str] | None) -> Any:
    """A list of strings as one parameter (None stays None: "no filter")."""
    if values is None:
        return None
    return json.dumps(list(values)) if conn.dialect == "sqlite" else list(values)


PING = sql("SELECT 1")


async def ping(conn: Connection) -> None:
    """One round trip: the health check's proof that the database answers."""
    await conn.fetch_one(PING)
