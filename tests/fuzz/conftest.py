"""Fixtures of the fuzz suite: a foreign account, the database fingerprint, a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import BASE_DOMAIN, Backend
from tests.factories import Factory
from tests.fuzz.world import Fingerprint, World, seed


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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    log = tmp_path_factory.mktemp("served") / "server.log"
    with log.open("wb") as out:
        command = [sys.executable, "-m", "kommodore", "serve", "--port", str(port)]
        server = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield Served(port, seed(factory), seed(factory), log)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
