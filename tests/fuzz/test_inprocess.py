"""The bulk of the fuzz: thousands of generated requests per database through the ASGI app.

Bounded and reproducible: ``KOMMODORE_FUZZ_COUNT`` requests (default 10,000) from
``KOMMODORE_FUZZ_SEED`` (default fixed), on a fresh account every ``ROTATE`` requests so the
fingerprinted data stays small. Each distinct failure is saved under ``cases/`` for the
replay test; the seed is in the failure message.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from kommodore.app import create_app
from tests.conftest import Backend
from tests.factories import Factory
from tests.fuzz.asgi import InProcess, running
from tests.fuzz.cases import Case, save
from tests.fuzz.generate import COUNT, SEED, Endpoint, cause, endpoints, generate
from tests.fuzz.runner import Outcome, open_sessions, send
from tests.fuzz.world import Fingerprint, World, changed, seed

ROTATE = 400
MAX_SAVED = 20


def test_routes_are_walked_from_the_app(backend: Backend) -> None:
    """A new route is fuzzed without touching this suite: the list comes from the app."""
    found = endpoints(create_app(backend.settings()))
    assert {e.path for e in found} >= {"/api/v4/leads/complex", "/oauth2/access_token"}
    assert len(found) > 50


def test_the_fingerprint_sees_one_changed_row(
    backend: Backend, factory: Factory, prints: Fingerprint
) -> None:
    """The check of refused requests would pass vacuously if the fingerprint were blind."""
    world = seed(factory)
    prints.account_ids = [world.account_id]
    first = prints.take()
    assert prints.take() == first
    factory.execute(
        "UPDATE leads SET price = price + 1 WHERE account_id = :a AND id = :l",
        a=world.account_id,
        l=world.ids["lead"],
    )
    assert changed(first, prints.take()) == ["leads"]


def test_a_refusal_that_writes_is_caught(
    backend: Backend, factory: Factory, prints: Fingerprint
) -> None:
    """The whole check, on an app that writes and then answers 400."""
    world = seed(factory)
    prints.account_ids = [world.account_id]

    async def writes_then_refuses(scope: Scope, receive: Receive, send_: Send) -> None:
        factory.execute(
            "UPDATE loss_reasons SET sort = sort + 1 WHERE account_id = :a", a=world.account_id
        )
        await send_({"type": "http.response.start", "status": 400, "headers": []})
        await send_({"type": "http.response.body", "body": b""})

    async def check() -> Outcome:
        client = InProcess(writes_then_refuses)  # type: ignore[arg-type]
        outcome, _ = await send(client, prints, prints.take(), "POST", "/", [], b"{}")
        return outcome

    outcome = asyncio.run(check())
    assert (outcome.kind, outcome.problem) == ("wrote", "400 but wrote to loss_reasons")


def test_generated_requests_never_fail(
    backend: Backend, factory: Factory, other_world: World, prints: Fingerprint
) -> None:
    app = create_app(backend.settings())
    statuses, failures, saved, seen = asyncio.run(_fuzz(app, backend, factory, other_world, prints))
    print(f"{backend.name}: {COUNT} requests, statuses {sorted(statuses.items())}")
    assert not failures, (
        f"KOMMODORE_FUZZ_SEED={SEED} KOMMODORE_FUZZ_COUNT={COUNT}: {len(failures)} distinct "
        f"failures ({saved} saved under tests/fuzz/cases/):\n" + "\n".join(failures.values())
    )
    if COUNT >= 5000:  # a short run (KOMMODORE_FUZZ_COUNT) may miss a route by chance
        assert seen == set(endpoints(app)), "every route is requested"
        # the bodies got past the parser to the rules, and some on to the writes
        assert statuses[200] + statuses[201] + statuses[204] > COUNT // 20, statuses
        assert statuses[400] > COUNT // 10, statuses


async def _fuzz(
    app: Starlette, backend: Backend, factory: Factory, other_world: World, prints: Fingerprint
) -> tuple[Counter[int], dict[tuple[str, ...], str], int, set[Endpoint]]:
    rng = random.Random(SEED)
    routes = endpoints(app)
    statuses: Counter[int] = Counter()
    failures: dict[tuple[str, ...], str] = {}
    saved = 0
    seen: set[Endpoint] = set()
    world = other_world
    before: dict[str, str] = {}
    async with running(app) as client:
        for index in range(COUNT):
            if index % ROTATE == 0:
                world = seed(factory)
                await open_sessions(client, world)
                prints.account_ids = [world.account_id, other_world.account_id]
                before = prints.take()
            request = generate(rng, routes, world, other_world)
            seen.add(request.endpoint)
            outcome, before = await send(
                client, prints, before, request.method, request.path, request.headers,
                request.body,
            )  # fmt: skip
            statuses[outcome.status or 0] += 1
            if outcome.problem is None:
                continue
            kind = outcome.kind
            because = cause(request.body)
            signature = (
                (kind, because)
                if because
                else (kind, request.method, request.endpoint.path, *request.mutations[:1])
            )
            if signature in failures:
                continue
            failures[signature] = (
                f"seed {SEED} #{index} on {backend.name}: {request.method} {request.path[:80]}"
                f" -> {outcome.problem[:160]} [{because or ''}] {request.mutations}"
            )
            if saved < MAX_SAVED:
                note = failures[signature]
                save(
                    Case("http", request.method, request.path, request.headers, request.body, note),
                    world,
                    other_world,
                    request.endpoint.path,
                )
                saved += 1
    return statuses, failures, saved, seen
