"""Every case the fuzz saved under ``cases/``, replayed on both databases as a regular test:
a failure found once stays found until it is fixed, whatever the seed of later runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kommodore.app import create_app
from tests.conftest import Backend
from tests.factories import Factory
from tests.fuzz.asgi import running
from tests.fuzz.cases import load, saved
from tests.fuzz.runner import send
from tests.fuzz.wire import exchange
from tests.fuzz.world import Fingerprint, World, changed, seed


@pytest.mark.parametrize("path", saved(), ids=lambda p: p.stem)
def test_saved_case(
    path: Path,
    backend: Backend,
    factory: Factory,
    other_world: World,
    prints: Fingerprint,
    request: pytest.FixtureRequest,
) -> None:
    world = seed(factory)
    case = load(path, world, other_world)
    prints.account_ids = [world.account_id, other_world.account_id]
    if case.kind == "raw":
        served = request.getfixturevalue("served")
        case = load(path, served.world, served.other)
        prints.account_ids = [served.world.account_id, served.other.account_id]
        before = prints.take()
        reply = exchange(served.port, case.body, complete=case.complete)
        assert reply.status is None or reply.status < 500, case.note
        if case.complete:
            assert reply.complete, (reply, case.note)
        if reply.status is None or reply.status >= 400:
            assert not changed(before, prints.take()), case.note
        return

    async def replay() -> str | None:
        async with running(create_app(backend.settings())) as client:
            outcome, _ = await send(
                client, prints, prints.take(), case.method, case.path, case.headers, case.body
            )
        return outcome.problem

    problem = asyncio.run(replay())
    assert problem is None, f"{problem}\n(case: {case.note})"
