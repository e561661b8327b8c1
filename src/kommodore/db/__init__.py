"""Persistence: the schema, migrations and the two database back-ends."""

from __future__ import annotations

from kommodore.db.database import Database
from kommodore.errors import UserError, require


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+"))


async def open_database(url: str, *, pooler: str = "none") -> Database:
    """The back-end a URL names: ``sqlite:///file`` or ``postgresql://...`` (through
    ``pooler``: ``none`` or ``pgbouncer``, ``Settings.database_pooler``)."""
    check_database_url(url)
    if is_postgres_url(url):
        require("asyncpg", "postgres", "PostgreSQL")
        from kommodore.db.postgres import PostgresDatabase

        return await PostgresDatabase.connect(url, pooler=pooler)
    from kommodore.db.sqlite import SqliteDatabase

    return SqliteDatabase(url)


def check_database_url(url: str) -> None:
    """Refuse a URL neither back-end can open, before anything tries to."""
    if not (url.startswith("sqlite:///") or is_postgres_url(url)):
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        raise UserError(
            f"KOMMODORE_DATABASE_URL names an unsupported database ({scheme!r}): "
            "use postgresql://user@host:5432/db, or unset it for SQLite in the data dir"
        )


def sqlalchemy_url(url: str) -> str:
    """The URL for SQLAlchemy (Alembic, the demo loader): psycopg for PostgreSQL."""
    check_database_url(url)
    if is_postgres_url(url):
        require("psycopg", "postgres", "PostgreSQL migrations")
        rest = url.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}"
    return url
