"""The migration history runs up, down and up again on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from kommodore.db import sqlalchemy_url
from kommodore.db.migrate import downgrade, upgrade
from tests.conftest import POSTGRES_URL


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_up_down_up_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    assert {"leads", "accounts", "alembic_version"} <= _tables(url)
    downgrade(url)
    assert _tables(url) == {"alembic_version"}
    upgrade(url)
    assert "leads" in _tables(url)


def test_up_down_up_on_postgresql(postgres_database: str):
    """Runs in a database of its own; ``postgres_database`` only proves the server is there."""
    import uuid

    import psycopg

    name = f"kommodore_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rpartition("/")[0] + f"/{name}"
    try:
        upgrade(url)
        assert "leads" in _tables(url)
        downgrade(url)
        assert _tables(url) == {"alembic_version"}
        upgrade(url)
        assert "leads" in _tables(url)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
