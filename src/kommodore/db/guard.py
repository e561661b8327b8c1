"""Open a database that already holds kommodore's schema, or say in one line why not.

Every command but ``serve``, ``demo`` and ``migrate`` opens its database through here, so a
command run from the wrong directory refuses instead of creating an empty SQLite file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kommodore.db import check_database_url, is_postgres_url, open_database
from kommodore.db.database import Database
from kommodore.errors import UserError, require

MARKER_TABLE = "alembic_version"


def redacted(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}@{host}"


def unreachable(url: str, exc: BaseException) -> UserError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return UserError(
        f"cannot reach the database {redacted(url)} ({first}): "
        "check that it is running and that KOMMODORE_DATABASE_URL is right"
    )


def _missing(url: str) -> UserError:
    where = (
        f"the data dir {Path(url.removeprefix('sqlite:///')).parent}"
        if url.startswith("sqlite:///")
        else redacted(url)
    )
    return UserError(
        f"no kommodore database in {where}: run `kommodore migrate` (or `kommodore demo`) "
        "first, or point KOMMODORE_DATA_DIR / KOMMODORE_DATABASE_URL at an existing one"
    )


def _sqlite_has_schema(path: str) -> bool:
    if not Path(path).is_file():
        return False
    try:
        # read-only: never creates the file, never changes it
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER_TABLE,)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False
    return row is not None


async def _postgres_has_schema(url: str, pooler: str) -> bool:
    require("asyncpg", "postgres", "PostgreSQL")
    import asyncpg

    from kommodore.db.postgres import asyncpg_dsn, statement_cache_size

    try:
        conn = await asyncpg.connect(
            asyncpg_dsn(url), timeout=10, statement_cache_size=statement_cache_size(pooler)
        )
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise unreachable(url, exc) from exc
    try:
        found = await conn.fetchval(f"SELECT to_regclass('{MARKER_TABLE}') IS NOT NULL")
    finally:
        await conn.close()
    return bool(found)


async def open_existing(url: str, *, pooler: str = "none") -> Database:
    """The database at ``url`` (through ``pooler``); :class:`UserError` when it has no
    kommodore schema."""
    check_database_url(url)
    if is_postgres_url(url):
        present = await _postgres_has_schema(url, pooler)
    else:
        present = _sqlite_has_schema(url.removeprefix("sqlite:///"))
    if not present:
        raise _missing(url)
    return await open_database(url, pooler=pooler)
