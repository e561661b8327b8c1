"""Plans that survive PgBouncer's transaction pooling: each fixed read runs inside a PL/pgSQL
function, whose statements PostgreSQL plans once per server connection.

Behind PgBouncer 1.18 (Debian 12's) a client cannot keep a named statement: its next
transaction may run on another server connection. Sent unnamed, a statement is parsed and
planned on every execution, and for a lead read planning is most of the database's work
(docs/performance.md, "Scale-out"). PL/pgSQL caches the plan of each statement in a
function's body per backend, whoever calls it, so the statement sent becomes
``SELECT ... FROM kommodore_plan_<hash>($1, ...)``: a call that is cheap to plan, around a
read whose plan is kept. The function's name hashes its whole definition, so a changed
statement gets a new function and two app servers that create the same one agree on it.

Only fixed texts (those :func:`kommodore.db.database.sql` recorded) that read and do not
write are wrapped; list pages composed per request and every write are sent as they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from typing import Any, Protocol

import asyncpg
import structlog
from asyncpg.prepared_stmt import PreparedStatement

from kommodore.db.database import STATEMENTS

log = structlog.get_logger(__name__)

PREFIX = "kommodore_plan_"
_WRITES = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|FOR\s+(NO\s+KEY\s+)?UPDATE|FOR\s+SHARE)\b", re.I
)
_READ = re.compile(r"^\s*(SELECT|WITH)\b", re.I)
_TYPE_NAMES = (
    "SELECT format_type(t, NULL) FROM unnest($1::oid[]) WITH ORDINALITY AS u(t, n) ORDER BY n"
)


class Describing(Protocol):
    """What is asked of a connection: ``db.postgres.UnnamedStatements``, asyncpg's connection
    with unnamed statements described once."""

    def is_in_transaction(self) -> bool: ...

    async def unnamed(self, query: str) -> PreparedStatement: ...

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...

    async def execute(self, query: str, *args: Any) -> str: ...


def keepable(text: str) -> bool:
    """A fixed statement that only reads: the ones worth a function, and safe in one (row
    locks and writes stay in the caller's statement, where they are plainly visible)."""
    return text in STATEMENTS and bool(_READ.match(text)) and not _WRITES.search(text)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def definition(text: str, params: list[str], columns: list[tuple[str, str]]) -> tuple[str, str]:
    """The function that runs ``text`` and the statement that calls it, for parameters and
    result columns of the given types (``format_type`` spelling). The result is ``SETOF
    record`` with a column list at the call: PL/pgSQL refuses ``record[]`` columns in a
    declared row type, and a lead read returns its parts as one."""
    signature = f"{', '.join(params)}|{', '.join(f'{n} {t}' for n, t in columns)}|{text}"
    name = PREFIX + hashlib.sha256(signature.encode()).hexdigest()[:32]
    create = (
        f"CREATE FUNCTION {name}({', '.join(params)}) RETURNS SETOF record "
        "LANGUAGE plpgsql VOLATILE AS $kommodore_plan$\n"
        "#variable_conflict use_column\n"
        f"BEGIN\nRETURN QUERY {text};\nEND\n$kommodore_plan$"
    )
    outputs = ", ".join(f"c{i} AS {_ident(n)}" for i, (n, _) in enumerate(columns, 1))
    arguments = ", ".join(f"${i}::{t}" for i, t in enumerate(params, 1))
    shape = ", ".join(f"c{i} {t}" for i, (_, t) in enumerate(columns, 1))
    call = f"SELECT {outputs} FROM {name}({arguments}) AS r({shape})"  # noqa: S608 (types and names from PostgreSQL's own description)
    return create, call


class KeptPlans:
    """Per database: statement text -> the call that runs it through its function (or None
    where it is sent as it is). Functions are created on first use, outside a transaction."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        self.calls: dict[str, str | None] = {}

    async def text(self, conn: Describing, text: str) -> str:
        """What to send for ``text`` on ``conn``: its function's call once that exists."""
        try:
            call = self.calls[text]
        except KeyError:
            if not keepable(text):
                self.calls[text] = None
                return text
            if conn.is_in_transaction():
                return text  # DDL here would share the request's fate; the next read makes it
            self.calls[text] = None  # reads meanwhile send the text itself
            try:
                call = await self._create(conn, text)
            except BaseException:  # the request went away mid-way: the next read tries again
                del self.calls[text]
                raise
            self.calls[text] = call
        return text if call is None else call

    def forget(self, text: str) -> None:
        """The function went missing (a database dropped and made again under a running app):
        make it again on the next read."""
        self.calls.pop(text, None)

    async def _create(self, conn: Describing, text: str) -> str | None:
        try:
            described = await conn.unnamed(text)
            params = [t.oid for t in described.get_parameters()]
            attributes = described.get_attributes()
            types = [
                r[0]
                for r in await conn.fetch(_TYPE_NAMES, params + [a.type.oid for a in attributes])
            ]
            columns = [(a.name, t) for a, t in zip(attributes, types[len(params) :], strict=True)]
            create, call = definition(text, types[: len(params)], columns)
            # another app server may have made the same function first
            with contextlib.suppress(asyncpg.DuplicateFunctionError, asyncpg.UniqueViolationError):
                await conn.execute(create)
        except asyncpg.PostgresError as exc:
            log.warning("kept_plans.unavailable", error=str(exc), statement=text[:80])
            return None
        return call
