"""The migration history runs up, down and up again on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def _fresh_postgresql() -> Iterator[str]:
    """The URL of a database of its own, dropped afterwards."""
    import uuid

    import psycopg

    name = f"kommodore_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rpartition("/")[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_up_down_up_on_postgresql(postgres_database: str):
    """Runs in a database of its own; ``postgres_database`` only proves the server is there."""
    with _fresh_postgresql() as url:
        upgrade(url)
        assert "leads" in _tables(url)
        downgrade(url)
        assert _tables(url) == {"alembic_version"}
        upgrade(url)
        assert "leads" in _tables(url)


def test_queued_webhook_bodies_survive_0007_up_and_down(tmp_path):
    """A delivery queued before bodies were shared keeps its bytes, and a shared body is put
    back together into each delivery on the way down."""
    from kommodore.webhooks.payload import assemble

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = sa.create_engine(sqlalchemy_url(url))
    insert = (
        "INSERT INTO webhook_deliveries (account_id, id, webhook_id, destination, created_at, "
        "status, attempts, next_attempt_ms, body_id, actions) "
        "VALUES (1, :id, 5, 'https://h.example/', 1, 'pending', 0, 1, 20, :actions)"
    )
    try:
        upgrade(url, "0006")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO webhook_deliveries (account_id, id, webhook_id, destination, "
                "created_at, status, attempts, next_attempt_ms, body) "
                "VALUES (1, 10, 5, 'https://h.example/', 1, 'pending', 0, 1, "
                "'account%5Bid%5D=1&x=y')"
            ))  # fmt: skip
        upgrade(url)
        with engine.begin() as conn:
            assert conn.execute(sa.text(
                "SELECT d.body_id, d.actions, b.head, b.size FROM webhook_deliveries d "
                "JOIN webhook_bodies b ON b.account_id = d.account_id AND b.id = d.body_id"
            )).all() == [(10, "", "account%5Bid%5D=1&x=y", 21)]  # fmt: skip
            conn.execute(sa.text(
                "INSERT INTO webhook_bodies (account_id, id, created_at, size, head, add_items, "
                "update_items, status_items) VALUES (1, 20, 1, 9, 'h=1', 'a=1', 'u=1', 's=1')"
            ))  # fmt: skip
            for delivery_id, actions in ((21, "add,status"), (22, "update")):
                conn.execute(sa.text(insert), {"id": delivery_id, "actions": actions})
        downgrade(url, "0006")
        with engine.begin() as conn:
            bodies = conn.execute(
                sa.text("SELECT id, body FROM webhook_deliveries ORDER BY id")
            ).all()
        assert bodies == [
            (10, "account%5Bid%5D=1&x=y"),
            (21, assemble("h=1", ["a=1", "s=1"])),
            (22, assemble("h=1", ["u=1"])),
        ]
        assert bodies[1][1] == "h=1&a=1&s=1"
    finally:
        engine.dispose()


_LEAD = (
    "INSERT INTO leads (account_id, id, name, price, responsible_user_id, group_id, pipeline_id, "
    "status_id, created_by, updated_by, created_at, updated_at, is_deleted, is_price_computed, "
    "is_price_modified_by_robot) VALUES (1, 7, 'kept', 1500, 2, 0, 3, 4, 2, 2, 1, 1, false, "
    "false, false)"
)


def _prices_across_0015(url: str, *, prepare: str = "") -> None:
    """A lead written before 0015 keeps its price and reads as whole (``price_minor`` 0); down
    again, the column goes and the price stays."""
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        upgrade(url, "0011")
        with engine.begin() as conn:
            if prepare:
                conn.execute(sa.text(prepare))
            conn.execute(sa.text(_LEAD))
        upgrade(url)
        with engine.begin() as conn:
            row = conn.execute(sa.text("SELECT name, price, price_minor FROM leads")).one()
        assert tuple(row) == ("kept", 1500, 0)
        downgrade(url, "0011")
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT name, price FROM leads")).all() == [("kept", 1500)]
        columns = {c["name"] for c in sa.inspect(engine).get_columns("leads")}
        assert "price" in columns and "price_minor" not in columns
    finally:
        engine.dispose()


def test_lead_prices_survive_0015_on_sqlite(tmp_path):
    _prices_across_0015(f"sqlite:///{tmp_path / 'm.db'}")


def test_lead_prices_survive_0015_on_postgresql(postgres_database: str):
    with _fresh_postgresql() as url:
        # the lead alone, without its account, users and stages: foreign keys are not checked
        _prices_across_0015(url, prepare="SET session_replication_role = replica")
