"""Redis for the rate-limit tests: ``KOMMODORE_TEST_REDIS_URL`` (default the local server).

Mirrors the PostgreSQL rule of tests/conftest.py: under ``CI=true`` an unreachable Redis fails
the run; elsewhere the Redis tests skip and say why.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis

REDIS_URL = os.environ.get("KOMMODORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI=true and is unreachable: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL} ({exc}); set CI=true to require it")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> str:
    """A key prefix of the test's own, so runs and tests never share counters."""
    return f"kommodore-test:{uuid.uuid4().hex[:12]}:"
