"""kommodore.tags.resolve, the lead writer's way to tags: names resolved (and missing ones
created) on the write transaction, ids looked up within the account's lead tags. Run on the
app's own database and event loop (``client.portal``), then read back through GET /leads/tags.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from starlette.testclient import TestClient

from kommodore.db import schema
from kommodore.db.database import Database, sql
from kommodore.tags.resolve import lead_tags_by_id, resolve_lead_tags
from tests.factories import Account, Factory

URL = "/api/v4/leads/tags"
T = TypeVar("T")


def _db(client: TestClient) -> Database:
    app: Any = client.app
    db: Database = app.state.ctx.db
    return db


def _run(client: TestClient, fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn`` on the app's event loop, where its database pool lives."""
    portal: Any = client.portal
    result: T = portal.call(fn)
    return result


def _list(client: TestClient, factory: Factory, account: Account) -> Any:
    headers = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    response = client.get(f"{URL}?limit=250", headers=headers)
    return None if response.status_code == 204 else response.json()["_embedded"]["tags"]


def test_resolve_reuses_existing_and_creates_missing(client: TestClient, factory: Factory):
    account = factory.account()
    vip = factory.tag(account, "vip", "FF8F92")
    contact_tag = factory.id("tags")
    factory._insert(
        schema.tags,
        [{"account_id": account.id, "id": contact_tag, "entity_type": "contacts",
          "name": "contact", "color": None}],
    )  # fmt: skip
    other = factory.account()
    foreign = factory.tag(other, "foreign", "EBEBEB")
    db = _db(client)

    async def resolve() -> Any:
        async with db.transaction() as conn:
            return await resolve_lead_tags(
                conn, account.id, ["vip", "zeta", "contact", "VIP", "foreign", "zeta", "alpha"]
            )

    got = _run(client, resolve)
    assert list(got) == ["vip", "zeta", "contact", "VIP", "foreign", "alpha"]
    new_ids = [got[n][0] for n in ("zeta", "contact", "VIP", "foreign", "alpha")]
    assert new_ids == sorted(new_ids), "new ids follow the order of the names"
    assert len(set(new_ids) | {vip, contact_tag, foreign}) == 8
    assert got == {
        "vip": (vip, "vip", "FF8F92"),
        **{n: (got[n][0], n, None) for n in ("zeta", "contact", "VIP", "foreign", "alpha")},
    }
    expected = [{"id": t[0], "name": t[1], "color": t[2]} for t in got.values()]
    assert _list(client, factory, account) == sorted(expected, key=lambda t: t["id"])
    assert _list(client, factory, other) == [{"id": foreign, "name": "foreign", "color": "EBEBEB"}]

    again = _run(client, resolve)
    assert again == got
    assert len(_list(client, factory, account)) == 6


def test_resolve_nothing_is_nothing(client: TestClient, factory: Factory):
    account = factory.account()
    db = _db(client)

    async def resolve() -> Any:
        async with db.transaction() as conn:
            return await resolve_lead_tags(conn, account.id, [])

    assert _run(client, resolve) == {}
    assert _list(client, factory, account) is None


def test_resolve_rolls_back_with_its_transaction(client: TestClient, factory: Factory):
    account = factory.account()
    db = _db(client)

    async def fail() -> None:
        async with db.transaction() as conn:
            await resolve_lead_tags(conn, account.id, ["never"])
            raise RuntimeError("the lead write failed")

    with pytest.raises(RuntimeError, match="the lead write failed"):
        _run(client, fail)
    assert _list(client, factory, account) is None


def test_concurrent_resolves_of_the_same_names_agree(client: TestClient, factory: Factory):
    """A second transaction adding the same names (in another order) while the first still
    holds them waits, then answers the first one's tags: no error, no duplicate, no deadlock."""
    account = factory.account()
    db = _db(client)

    async def scenario() -> tuple[Any, Any, bool]:
        async def second() -> Any:
            async with db.transaction() as conn:
                return await resolve_lead_tags(conn, account.id, ["y", "x", "z"])

        async with db.transaction() as conn:
            first = await resolve_lead_tags(conn, account.id, ["x", "y"])
            task = asyncio.create_task(second())
            blocked = await _until_waiting(db)
        return first, await task, blocked

    first, second, blocked = _run(client, scenario)
    assert blocked, "the second transaction never waited for the first"
    assert second["x"] == first["x"] and second["y"] == first["y"]
    tags = _list(client, factory, account)
    assert sorted(t["name"] for t in tags) == ["x", "y", "z"]
    assert {t["name"]: t["id"] for t in tags} == {n: v[0] for n, v in second.items()}


async def _until_waiting(db: Database) -> bool:
    """Let the second transaction block: on PostgreSQL until it waits for a lock (bounded;
    True when it did), on SQLite a few turns of the loop (it waits for the writer lock)."""
    if db.dialect == "sqlite":
        for _ in range(10):
            await asyncio.sleep(0)
        return True
    waiting = sql(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(1000):
        async with db.connection() as conn:
            row = await conn.fetch_one(waiting)
        if row is not None and row[0] > 0:
            return True
        await asyncio.sleep(0.01)
    return False


def test_lead_tags_by_id(client: TestClient, factory: Factory):
    account = factory.account()
    vip = factory.tag(account, "vip", "FF8F92")
    cold = factory.tag(account, "cold")
    contact_tag = factory.id("tags")
    factory._insert(
        schema.tags,
        [{"account_id": account.id, "id": contact_tag, "entity_type": "contacts",
          "name": "contact", "color": None}],
    )  # fmt: skip
    foreign = factory.tag(factory.account(), "foreign")
    db = _db(client)

    async def lookup(ids: list[int]) -> Any:
        async with db.connection() as conn:
            return await lead_tags_by_id(conn, account.id, ids)

    asked = [cold, vip, contact_tag, foreign, 999_999_999_999, 0, -1, 2**63, vip]
    assert _run(client, lambda: lookup(asked)) == {
        vip: (vip, "vip", "FF8F92"),
        cold: (cold, "cold", None),
    }
    assert _run(client, lambda: lookup([])) == {}
    assert _run(client, lambda: lookup([0, 2**64])) == {}
