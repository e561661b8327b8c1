"""Bulk work (list pages, batch writes) queues in a lane of its own: however much of it arrives
at once, a quick request (the health check, a lead by id) is answered before most of it.

Order is asserted, never time: each request notes when it finished relative to the others."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from kommodore.app import create_app
from tests.conftest import Backend
from tests.factories import Factory

BULK = 40


@pytest.mark.parametrize("quick_path", ["/healthz", "LEAD"])
def test_quick_requests_overtake_queued_bulk_work(
    backend: Backend, factory: Factory, quick_path: str
):
    account = factory.account()
    lead = 0
    for _ in range(60):
        lead = factory.lead(account)
    headers = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    path = f"/api/v4/leads/{lead}" if quick_path == "LEAD" else quick_path
    app = create_app(backend.settings())
    finished: list[str] = []

    async def fetch(client: httpx.AsyncClient, name: str, url: str) -> None:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        finished.append(name)

    async def run() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                bulk = [
                    asyncio.create_task(fetch(client, "bulk", "/api/v4/leads?limit=250"))
                    for _ in range(BULK)
                ]
                await asyncio.sleep(0)  # every bulk request has started before the quick one
                await asyncio.gather(fetch(client, "quick", path), *bulk)

    asyncio.run(run())
    assert len(finished) == BULK + 1
    assert finished.index("quick") < BULK // 2, finished
