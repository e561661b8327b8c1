"""Webhook tests run their own delivery workers with their own settings (a shortened retry
schedule, a fake clock); tests/conftest.py keeps the session's app from running one beside
them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kommodore.context import using
from kommodore.settings import Settings
from tests.conftest import BASE_DOMAIN
from tests.factories import Factory


@pytest.fixture(autouse=True)
def app_settings() -> Iterator[Settings]:
    """Tests that enqueue outside an app stand in for one: the outbox reads the running
    app's settings (its base domain), never the environment."""
    with using(Settings(base_domain=BASE_DOMAIN)) as settings:
        yield settings


def _fail_leftovers(factory: Factory) -> None:
    factory.execute(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'test over' "
        "WHERE status = 'pending'"
    )


@pytest.fixture(autouse=True)
def isolated_outbox(request: pytest.FixtureRequest) -> Iterator[None]:
    """Workers claim across accounts: each test starts and ends with nothing pending, so no
    test's worker posts another test's deliveries (to example.com, or on a fake clock)."""
    if "factory" not in request.fixturenames:
        yield
        return
    factory: Factory = request.getfixturevalue("factory")
    _fail_leftovers(factory)
    yield
    _fail_leftovers(factory)
