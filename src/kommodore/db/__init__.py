"""Persistence: the schema, migrations and the two database back-ends."""

from __future__ import annotations

from kommodore.db.database import Database


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+"))


async def open_database(url: str) -> Database:
    """The back-end a URL names: ``sqlite:///file`` or ``postgresql://...``."""
    if is_postgres_url(url):
        from kommodore.db.postgres import PostgresDatabase

        return await PostgresDatabase.connect(url)
    from kommodore.db.sqlite import SqliteDatabase

    return SqliteDatabase(url)


def sqlalchemy_url(url: str) -> str:
    """The URL for SQLAlchemy (Alembic, the demo loader): psycopg for PostgreSQL."""
    if is_postgres_url(url):
        rest = url.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}"
    return url
