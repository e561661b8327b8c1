"""Seeding events through the real writer (``events.record``) and reading them back."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.testclient import TestClient

from kommodore.db import open_database
from kommodore.events.record import NewEvent, record
from tests.conftest import Backend

ORIGIN = "http://testserver"


def seed(backend: Backend, account_id: int, *events: tuple[NewEvent, int]) -> list[str]:
    """Each (event, created_at) recorded in its own call, in order; returns the ids."""

    async def run() -> list[str]:
        db = await open_database(backend.url)
        try:
            ids: list[str] = []
            async with db.transaction() as conn:
                for event, created_at in events:
                    ids += await record(conn, account_id, [event], created_at)
            return ids
        finally:
            await db.close()

    return asyncio.run(run())


def seed_many(backend: Backend, account_id: int, events: list[NewEvent], now: int) -> list[str]:
    """One ``record`` call: the ids increase in list order."""

    async def run() -> list[str]:
        db = await open_database(backend.url)
        try:
            async with db.transaction() as conn:
                return await record(conn, account_id, events, now)
        finally:
            await db.close()

    return asyncio.run(run())


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def event_ids(client: TestClient, token: str, query: str) -> list[str]:
    """The ids of every page of ``GET /api/v4/events?query``, following ``next``."""
    url: str | None = f"/api/v4/events?{query}"
    ids: list[str] = []
    while url:
        response = client.get(url, headers=auth(token))
        if response.status_code == 204:
            assert response.content == b""
            assert not ids, "an empty page after a page that promised a next one"
            break
        assert response.status_code == 200, response.text
        body = response.json()
        assert list(body) == ["_page", "_links", "_embedded"]
        ids += [e["id"] for e in body["_embedded"]["events"]]
        nxt = body["_links"].get("next")
        url = nxt["href"] if nxt else None
    return ids


def event_body(
    account_id: int,
    event_id: str,
    type_: str,
    lead_id: int,
    created_by: int,
    created_at: int,
    after: list[Any],
    before: list[Any],
    name: str | None = None,
) -> dict[str, Any]:
    """An event as Kommo's API shows it, in its key order."""
    entity: dict[str, Any] = {"id": lead_id}
    if name is not None:
        entity["name"] = name
    entity["_links"] = {"self": {"href": f"{ORIGIN}/api/v4/leads/{lead_id}"}}
    return {
        "id": event_id,
        "type": type_,
        "entity_id": lead_id,
        "entity_type": "lead",
        "created_by": created_by,
        "created_at": created_at,
        "value_after": after,
        "value_before": before,
        "account_id": account_id,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/events/{event_id}"}},
        "_embedded": {"entity": entity},
    }
