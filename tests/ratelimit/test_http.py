"""The rate limit over HTTP: the 429 problem with ``Retry-After``, the 403 block, the off switch.

Each test builds its own app with the limiter on, once with database counters and once with
Redis, on SQLite and on PostgreSQL; a fake clock keeps every request in the second it means.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.context import AppContext
from tests.conftest import Backend
from tests.factories import Factory
from tests.ratelimit.clock import FakeClock

TOO_MANY_BODY = {
    "title": "Too Many Requests",
    "type": "https://httpstatus.es/429",
    "status": 429,
    "detail": "You have sent too many requests in a given amount of time. Please try again later.",
    "retry_after": 1,
}


@pytest.fixture(params=["database", "redis"])
def counters(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings that pick the counters: the app's database, or Redis."""
    if request.param == "database":
        return {"redis_url": None}
    return {
        "redis_url": request.getfixturevalue("redis_url"),
        "rate_limit_redis_prefix": request.getfixturevalue("redis_prefix"),
    }


@contextmanager
def limited(backend: Backend, clock: FakeClock, **settings: Any) -> Iterator[TestClient]:
    values = {"rate_limit_enabled": True, **settings}
    with TestClient(create_app(backend.settings(**values))) as client:
        ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
        if ctx.limiter is not None:
            ctx.limiter.clock = clock
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_eighth_request_in_a_second_gets_429(
    backend: Backend, factory: Factory, counters: dict[str, Any]
) -> None:
    account = factory.account()
    lead = factory.lead(account)
    token = factory.token(account, account.admin)
    clock = FakeClock(1_900_000_000.4)
    with limited(backend, clock, **counters) as client:
        for _ in range(7):
            assert client.get(f"/api/v4/leads/{lead}", headers=auth(token)).status_code == 200
        clock.advance(0.5)
        response = client.get(f"/api/v4/leads/{lead}", headers=auth(token))
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "1"
        assert response.json() == TOO_MANY_BODY
        assert list(response.json()) == list(TOO_MANY_BODY)
        clock.advance(0.1)  # second 1_900_000_001: a fresh window
        assert client.get(f"/api/v4/leads/{lead}", headers=auth(token)).status_code == 200


def test_a_limited_write_writes_nothing(
    backend: Backend, factory: Factory, counters: dict[str, Any]
) -> None:
    account = factory.account()
    token = factory.token(account, account.admin)
    clock = FakeClock()
    with limited(backend, clock, **counters) as client:
        for _ in range(7):
            assert client.get("/api/v4/leads", headers=auth(token)).status_code == 204
        response = client.post("/api/v4/leads", json=[{"name": "Blocked"}], headers=auth(token))
        assert response.status_code == 429
        assert response.json() == TOO_MANY_BODY
        clock.advance(1)
        assert client.get("/api/v4/leads", headers=auth(token)).status_code == 204


def test_each_integration_of_an_account_has_its_own_limit(
    backend: Backend, factory: Factory, counters: dict[str, Any]
) -> None:
    account = factory.account()
    first = factory.token(account, account.admin)
    second = factory.token(account, account.admin)  # another integration (tokens' aud)
    clock = FakeClock()
    with limited(backend, clock, **counters) as client:
        statuses = [
            client.get("/api/v4/account", headers=auth(first)).status_code for _ in range(8)
        ]
        assert statuses == [200] * 7 + [429]
        assert client.get("/api/v4/account", headers=auth(second)).status_code == 200


def test_the_limit_is_a_setting(
    backend: Backend, factory: Factory, counters: dict[str, Any]
) -> None:
    account = factory.account()
    token = factory.token(account, account.admin)
    with limited(backend, FakeClock(), rate_limit_per_second=3, **counters) as client:
        statuses = [
            client.get("/api/v4/account", headers=auth(token)).status_code for _ in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]


def test_an_integration_that_keeps_going_is_blocked_with_403(
    backend: Backend, factory: Factory, counters: dict[str, Any]
) -> None:
    account = factory.account()
    token = factory.token(account, account.admin)
    other = factory.token(account, account.admin)
    clock = FakeClock(1_900_000_000.5)
    settings = {"rate_limit_block_after": 3, "rate_limit_block_seconds": 30}
    with limited(backend, clock, **settings, **counters) as client:
        statuses = [
            client.get("/api/v4/account", headers=auth(token)).status_code for _ in range(10)
        ]
        assert statuses == [200] * 7 + [429] * 3  # the 3rd 429 starts the block
        clock.advance(1)  # a new window, but blocked: 403 until second 1_900_000_030
        response = client.get("/api/v4/account", headers=auth(token))
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "29"
        body = response.json()
        assert body == {
            "title": "Forbidden",
            "type": "https://httpstatus.es/403",
            "status": 403,
            "detail": "Access denied: too many requests",
            "retry_after": 29,
        }
        assert list(body) == ["title", "type", "status", "detail", "retry_after"]
        # writes too, and nothing is written
        blocked = client.post("/api/v4/leads", json=[{"name": "x"}], headers=auth(token))
        assert blocked.status_code == 403
        assert client.get("/api/v4/account", headers=auth(other)).status_code == 200
        clock.advance(28.4)  # 1_900_000_029.9
        assert client.get("/api/v4/account", headers=auth(token)).headers["retry-after"] == "1"
        clock.advance(0.1)  # the block is over
        assert client.get("/api/v4/account", headers=auth(token)).status_code == 200
        assert client.get("/api/v4/leads", headers=auth(token)).status_code == 204


def test_unauthenticated_requests_answer_401_and_are_not_counted(
    backend: Backend, factory: Factory, counters: dict[str, Any]
) -> None:
    account = factory.account()
    token = factory.token(account, account.admin)
    with limited(backend, FakeClock(), **counters) as client:
        for _ in range(10):
            assert client.get("/api/v4/account", headers=auth("not-a-jwt")).status_code == 401
        statuses = [
            client.get("/api/v4/account", headers=auth(token)).status_code for _ in range(8)
        ]
        assert statuses == [200] * 7 + [429]


def test_the_off_switch(backend: Backend, factory: Factory) -> None:
    account = factory.account()
    token = factory.token(account, account.admin)
    with limited(backend, FakeClock(), rate_limit_enabled=False) as client:
        assert client.app.state.ctx.limiter is None  # type: ignore[attr-defined]
        statuses = {
            client.get("/api/v4/account", headers=auth(token)).status_code for _ in range(30)
        }
        assert statuses == {200}
