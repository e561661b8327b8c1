"""A restore under API traffic: every request sees the state before it or after it, never a
mixture; the gate holds new requests back while one runs and waits for those in flight."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from kommodore.app import create_app
from kommodore.auth.keys import load_signing_key
from kommodore.control.gate import StateGate
from tests.conftest import BASE_DOMAIN, Backend
from tests.control.conftest import AUTH, CONTROL_TOKEN
from tests.factories import Factory

READERS = 16
RESTORES = 12


def test_requests_see_one_state_or_the_other_while_restores_run(own_backend: Backend) -> None:
    """Two states differ in a lead's name and in the tag it carries. A request reads the lead
    and then, in further statements, its tags: a restore between them would pair one state's
    name with the other's tag."""
    factory = Factory(own_backend.url, load_signing_key(None, own_backend.data_dir), BASE_DOMAIN)
    account = factory.account()
    kommo = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    lead = factory.lead(account, name="alpha")
    app = create_app(own_backend.settings(control_api=True, control_token=CONTROL_TOKEN))
    seen: list[tuple[str, str]] = []

    async def run() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                for name, other in (("alpha", "beta"), ("beta", "alpha")):
                    edit = [{"id": lead, "name": name, "_embedded": {"tags": [{"name": name}]},
                             "tags_to_delete": [{"name": other}]}]  # fmt: skip
                    done = await client.patch("/api/v4/leads", json=edit, headers=kommo)
                    assert done.status_code == 200, done.text
                    saved = await client.post("/_kommodore/snapshots", json={"name": name},
                                              headers=AUTH)  # fmt: skip
                    assert saved.status_code == 201, saved.text
                stop = asyncio.Event()

                async def read() -> None:
                    while not stop.is_set():
                        got = await client.get(f"/api/v4/leads/{lead}", headers=kommo)
                        assert got.status_code == 200, got.text
                        body = got.json()
                        tags = [t["name"] for t in body["_embedded"]["tags"]]
                        seen.append((body["name"], ",".join(tags)))
                        # in process, a request on SQLite never waits on I/O: let others run
                        await asyncio.sleep(0)

                readers = [asyncio.create_task(read()) for _ in range(READERS)]
                for i in range(RESTORES):
                    name = ("alpha", "beta")[i % 2]
                    restored = await client.post(f"/_kommodore/snapshots/{name}/restore",
                                                 headers=AUTH)  # fmt: skip
                    assert restored.status_code == 200, restored.text
                    await asyncio.sleep(0.005)
                stop.set()
                await asyncio.gather(*readers)

    asyncio.run(run())
    assert len(seen) > READERS
    assert {s for s in seen} <= {("alpha", "alpha"), ("beta", "beta")}, set(seen)
    assert {name for name, _ in seen} == {"alpha", "beta"}


def test_the_gate_waits_for_requests_in_flight_and_holds_new_ones() -> None:
    gate = StateGate()
    order: list[str] = []

    async def request(name: str, hold: float) -> None:
        async with gate.shared():
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def change() -> None:
        async with gate.exclusive():
            order.append("change")
            await asyncio.sleep(0.01)
            order.append("change done")

    async def run() -> None:
        first = asyncio.create_task(request("first", 0.02))
        await asyncio.sleep(0)
        changing = asyncio.create_task(change())
        await asyncio.sleep(0)
        late = asyncio.create_task(request("late", 0))
        await asyncio.gather(first, changing, late)

    asyncio.run(run())
    assert order == ["first in", "first out", "change", "change done", "late in", "late out"]


@pytest.mark.parametrize("hold", [0, 0.01])
def test_a_failed_change_reopens_the_gate(hold: float) -> None:
    gate = StateGate()

    async def run() -> str:
        with pytest.raises(RuntimeError):
            async with gate.exclusive():
                await asyncio.sleep(hold)
                raise RuntimeError("restore failed")
        async with gate.shared():
            return "served"

    assert asyncio.run(run()) == "served"
