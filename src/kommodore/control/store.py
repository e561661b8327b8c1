"""Every statement of the control plane: whole-state snapshots, restores and resets.

SQLite copies the whole file with its online backup API, into ``snapshots/`` beside the
database; a restore copies a snapshot back in one write transaction. PostgreSQL keeps a snapshot
as a schema of its own (``kommodore_snap_<n>``, listed in ``kommodore_control.snapshots``) with a
copy of every table and the sequences' positions; a restore empties the live tables and copies
the snapshot back in one transaction. Either way nothing but the database's own state is copied:
the control plane keeps none of its own state in the tables it restores.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from kommodore.db.database import (
    Connection,
    Database,
    composed,
    fetch_column,
    fetch_rows,
    fetch_value,
    sql,
)
from kommodore.db.schema import metadata

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
"""A snapshot's name: a file name on SQLite, a registry key on PostgreSQL."""

_ORDER = {table.name: i for i, table in enumerate(metadata.sorted_tables)}
"""Tables in the order their foreign keys allow them to be filled (others, such as the search
index, come last)."""


class SnapshotMissing(LookupError):
    pass


class SnapshotIncompatible(ValueError):
    """A snapshot taken at another schema revision: restoring it would mismatch the code."""


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    name: str
    created_at: int
    revision: str
    size_bytes: int | None


_REVISION = sql("SELECT version_num FROM alembic_version")


async def revision(conn: Connection) -> str:
    return str(await fetch_value(conn, _REVISION) or "")


def _fill_order(tables: list[str]) -> list[str]:
    return sorted(tables, key=lambda t: (_ORDER.get(t, len(_ORDER)), t))


# -- SQLite ------------------------------------------------------------------------------------


def _sqlite_dir(db: Database) -> Path:
    from kommodore.db.sqlite import sqlite_path

    return Path(sqlite_path(db.url)).resolve().parent / "snapshots"


def _sqlite_file(db: Database, name: str) -> Path:
    return _sqlite_dir(db) / f"{name}.sqlite"


def _file_revision(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        conn.close()
    return str(row[0]) if row else ""


async def _sqlite_save(db: Database, name: str) -> SnapshotInfo:
    from kommodore.db.sqlite import SqliteDatabase

    assert isinstance(db, SqliteDatabase)
    folder = _sqlite_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.sqlite"
    partial = folder / f".{name}.partial"
    partial.unlink(missing_ok=True)
    await db.copy_to(partial)
    partial.replace(target)  # a snapshot of that name is there whole, or not at all
    return _sqlite_info(target)


def _sqlite_info(path: Path) -> SnapshotInfo:
    stat = path.stat()
    return SnapshotInfo(
        name=path.stem,
        created_at=int(stat.st_mtime),
        revision=_file_revision(path),
        size_bytes=stat.st_size,
    )


async def _sqlite_restore(db: Database, name: str) -> None:
    from kommodore.db.sqlite import SqliteDatabase

    assert isinstance(db, SqliteDatabase)
    path = _sqlite_file(db, name)
    if not path.is_file():
        raise SnapshotMissing(name)
    async with db.connection() as conn:
        live = await revision(conn)
    if _file_revision(path) != live:
        raise SnapshotIncompatible(name)
    await db.replace_with(path)


async def _sqlite_wipe(db: Database) -> None:
    """Empty: a freshly migrated file, made once per schema revision and kept as a hidden
    snapshot, copied in like any other."""
    from kommodore.db.migrate import upgrade
    from kommodore.db.sqlite import SqliteDatabase

    assert isinstance(db, SqliteDatabase)
    async with db.connection() as conn:
        live = await revision(conn)
    pristine = _sqlite_dir(db) / f".pristine-{live}.sqlite"
    if not pristine.is_file():
        pristine.parent.mkdir(parents=True, exist_ok=True)
        partial = pristine.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        await asyncio.to_thread(upgrade, f"sqlite:///{partial}")
        partial.replace(pristine)
    await db.replace_with(pristine)


# -- PostgreSQL --------------------------------------------------------------------------------

_REGISTRY = sql(
    "CREATE SCHEMA IF NOT EXISTS kommodore_control; "
    "CREATE SEQUENCE IF NOT EXISTS kommodore_control.snapshot_seq; "
    "CREATE TABLE IF NOT EXISTS kommodore_control.snapshots ("
    " name text PRIMARY KEY, schema_name text NOT NULL UNIQUE, revision text NOT NULL,"
    " created_at bigint NOT NULL, size_bytes bigint)"
)
_LIVE_TABLES = sql(
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
    "AND tablename <> 'alembic_version'"
)
_SNAPSHOT_TABLES = sql(
    "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> '_sequences'"
)
_NEXT_SCHEMA = sql("SELECT 'kommodore_snap_' || nextval('kommodore_control.snapshot_seq')")
_FIND = sql("SELECT schema_name, revision FROM kommodore_control.snapshots WHERE name = $1")
_REGISTER = sql(
    "INSERT INTO kommodore_control.snapshots (name, schema_name, revision, created_at) "
    "VALUES ($1, $2, $3, $4)"
)
_UNREGISTER = sql("DELETE FROM kommodore_control.snapshots WHERE name = $1")
_SIZE = sql(
    "UPDATE kommodore_control.snapshots SET size_bytes = (SELECT coalesce(sum("
    "pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass)), 0) "
    "FROM pg_tables WHERE schemaname = $2) WHERE name = $1"
)
_LIST = sql(
    "SELECT name, created_at, revision, size_bytes FROM kommodore_control.snapshots ORDER BY name"
)
_REPEATABLE = sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
_RESTART_SEQUENCES = sql(
    "SELECT count(setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, "
    "false)) FROM pg_sequences WHERE schemaname = current_schema()"
)


_SET_SEQUENCES = (
    "SELECT count(setval(format('%I.%I', current_schema(), s.name)::regclass, "
    "coalesce(s.last_value, s.start_value), s.last_value IS NOT NULL)) "
    "FROM {schema}._sequences s JOIN pg_sequences p "
    "ON p.schemaname = current_schema() AND p.sequencename = s.name"
)
"""Each sequence back where the snapshot found it (a sequence never used: at its start)."""


class _Listed(NamedTuple):
    name: str
    created_at: int
    revision: str
    size_bytes: int | None


class _Found(NamedTuple):
    schema_name: str
    revision: str


def _ident(name: str) -> str:
    """A quoted identifier: table names come from the catalog, schema names from our own
    sequence, never from a client; quoted all the same."""
    return '"' + name.replace('"', '""') + '"'


async def _run(conn: Connection, text: str) -> None:
    """A statement naming tables or schemas: identifiers only, quoted, no values."""
    await conn.execute(composed("postgresql", text))


async def _pg_save(db: Database, name: str) -> SnapshotInfo:
    async with db.transaction() as conn:
        await conn.execute(_REPEATABLE)
        await conn.execute(_REGISTRY)
        live = await revision(conn)
        old = await fetch_rows(conn, _Found, _FIND, name)
        for found in old:
            await _run(conn, f"DROP SCHEMA {_ident(found.schema_name)} CASCADE")
        await conn.execute(_UNREGISTER, name)
        schema = _ident(str(await fetch_value(conn, _NEXT_SCHEMA)))
        await _run(conn, f"CREATE SCHEMA {schema}")
        for table in await fetch_column(conn, _LIVE_TABLES):
            await _run(conn, f"CREATE TABLE {schema}.{_ident(table)} AS TABLE {_ident(table)}")
        await _run(
            conn,
            f"CREATE TABLE {schema}._sequences AS SELECT sequencename::text AS name, "  # noqa: S608 (a schema name we generated)
            "last_value, start_value FROM pg_sequences WHERE schemaname = current_schema()",
        )
        now = int(time.time())
        await conn.execute(_REGISTER, name, schema.strip('"'), live, now)
        await conn.execute(_SIZE, name, schema.strip('"'))
    return SnapshotInfo(name=name, created_at=now, revision=live, size_bytes=None)


async def _pg_restore(db: Database, name: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(_REGISTRY)
        found = await fetch_rows(conn, _Found, _FIND, name)
        if not found:
            raise SnapshotMissing(name)
        if found[0].revision != await revision(conn):
            raise SnapshotIncompatible(name)
        schema = found[0].schema_name
        live = await fetch_column(conn, _LIVE_TABLES)
        await _truncate(conn, live)
        saved = set(await fetch_column(conn, _SNAPSHOT_TABLES, schema))
        for table in _fill_order([t for t in live if t in saved]):
            await _run(
                conn,
                f"INSERT INTO {_ident(table)} SELECT * FROM {_ident(schema)}.{_ident(table)}",  # noqa: S608 (quoted identifiers only)
            )
        await _run(conn, _SET_SEQUENCES.format(schema=_ident(schema)))


_HEAP_BYTES = sql(
    "SELECT coalesce(sum(pg_relation_size(c.oid)), 0) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
)
DELETE_UP_TO_BYTES = 1 << 20
"""Tables whose heaps (dead rows included) add up to this much are emptied with DELETE, larger
ones with one TRUNCATE (measured, 39 tables, committed: DELETE 5 ms empty and 110-190 ms at
2,000 demo leads, 1.7 MB; TRUNCATE 85-120 ms whatever the size; DELETE at 100,000 leads ran for
minutes: a cascade from ``contacts`` scans ``lead_contacts``, not indexed by contact, per row)."""


async def _truncate(conn: Connection, tables: list[str]) -> None:
    """Empty the tables: a nearly empty state with DELETE, children first (TRUNCATE makes new
    files for every table and index, about 100 ms), anything larger with one TRUNCATE (DELETE
    grows with the square of the rows through cascades over unindexed columns)."""
    if int(await fetch_value(conn, _HEAP_BYTES) or 0) > DELETE_UP_TO_BYTES:
        await _run(conn, "TRUNCATE " + ", ".join(_ident(t) for t in tables))
        return
    for table in reversed(_fill_order(tables)):
        await _run(conn, f"DELETE FROM {_ident(table)}")  # noqa: S608 (a table from the catalog)


async def _pg_wipe(db: Database) -> None:
    async with db.transaction() as conn:
        await _truncate(conn, await fetch_column(conn, _LIVE_TABLES))
        await conn.execute(_RESTART_SEQUENCES)


async def _pg_list(db: Database) -> list[SnapshotInfo]:
    async with db.transaction() as conn:
        await conn.execute(_REGISTRY)
        rows = await fetch_rows(conn, _Listed, _LIST)
    return [SnapshotInfo(r.name, r.created_at, r.revision, r.size_bytes) for r in rows]


async def _pg_delete(db: Database, name: str) -> bool:
    async with db.transaction() as conn:
        await conn.execute(_REGISTRY)
        found = await fetch_rows(conn, _Found, _FIND, name)
        for row in found:
            await _run(conn, f"DROP SCHEMA {_ident(row.schema_name)} CASCADE")
        await conn.execute(_UNREGISTER, name)
    return bool(found)


# -- one interface -----------------------------------------------------------------------------


async def save(db: Database, name: str) -> SnapshotInfo:
    if db.dialect == "sqlite":
        return await _sqlite_save(db, name)
    return await _pg_save(db, name)


async def restore(db: Database, name: str) -> None:
    if db.dialect == "sqlite":
        await _sqlite_restore(db, name)
    else:
        await _pg_restore(db, name)


async def wipe(db: Database) -> None:
    if db.dialect == "sqlite":
        await _sqlite_wipe(db)
    else:
        await _pg_wipe(db)


async def snapshots(db: Database, *, hidden: bool = False) -> list[SnapshotInfo]:
    """Every snapshot by name; ``hidden`` ones (a dot first: the cached empty and demo states)
    only when asked."""
    if db.dialect == "sqlite":
        folder = _sqlite_dir(db)
        found = (
            [_sqlite_info(p) for p in sorted(folder.glob("*.sqlite"))] if folder.is_dir() else []
        )
    else:
        found = await _pg_list(db)
    return [s for s in found if hidden or not s.name.startswith(".")]


async def delete(db: Database, name: str) -> bool:
    if db.dialect == "sqlite":
        path = _sqlite_file(db, name)
        existed = path.is_file()
        path.unlink(missing_ok=True)
        return existed
    return await _pg_delete(db, name)
