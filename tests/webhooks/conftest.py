"""Webhook tests run their own delivery workers with their own settings (a shortened retry
schedule, a fake clock); tests/conftest.py keeps the session's app from running one beside
them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import Factory


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
