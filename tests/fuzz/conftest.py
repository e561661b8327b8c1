"""Fixtures of the fuzz suite: a foreign account, the database fingerprint, a real server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BASE_DOMAIN, Backend
from tests.factories import Factory
from tests.fuzz.world import Fingerprint, World, seed
from tests.processes import KOMMODORE, free_port, serving


@pytest.fixture(scope="module")
def other_world(factory: Factory) -> World:
    """An account whose ids and token the fuzz sends to the fuzzed one."""
    return seed(factory)


@pytest.fixture
def prints(backend: Backend) -> Iterator[Fingerprint]:
    taker = Fingerprint(backend, [])
    yield taker
    taker.close()


@dataclass(frozen=True)
class Served:
    port: int
    world: World
    other: World
    log: Path


@pytest.fixture(scope="module")
def served(
    backend: Backend, factory: Factory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """``kommodore serve`` on a free port, on the test database with the test signing key
    (so the factory's tokens hold), the limiter off like the in-process apps."""
    env = dict(os.environ)
    env.update(
        KOMMODORE_DATA_DIR=str(backend.data_dir),
        KOMMODORE_DATABASE_URL=backend.url,
        KOMMODORE_BASE_DOMAIN=BASE_DOMAIN,
        KOMMODORE_RATE_LIMIT_ENABLED="false",
        KOMMODORE_LOG_LEVEL="warning",
    )
    port = free_port()
    log = tmp_path_factory.mktemp("served") / "server.log"
    with serving([*KOMMODORE, "serve", "--port", str(port)], port, env, log=log):
        yield Served(port, seed(factory), seed(factory), log)
