"""The issue's proof: ``kommodore serve --workers 2`` as real processes, one client, one second.

Forty keep-alive connections are opened until each of the two worker processes holds at least
eight of them (``ss`` tells which process owns each server-side socket); then one request goes
out on every connection at the start of a fresh second. Were the counts kept per process, each
worker would pass 7 (14 in all); shared counts (Redis, or the database on SQLite and on
PostgreSQL) pass exactly 7, and all the others get 429 with ``Retry-After``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Backend
from tests.processes import KOMMODORE, free_port, serving

pytestmark = pytest.mark.e2e
CONNECTIONS, PER_WORKER = 40, 8
_OWNER = re.compile(r"127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)\s+users:\(\(\"[^\"]*\",pid=(\d+)")


@pytest.fixture(params=["database", "redis"])
def counters_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "database":
        return {}
    return {
        "KOMMODORE_REDIS_URL": request.getfixturevalue("redis_url"),
        "KOMMODORE_RATE_LIMIT_REDIS_PREFIX": request.getfixturevalue("redis_prefix"),
    }


@pytest.fixture
def two_workers(
    backend: Backend, tmp_path: Path, counters_env: dict[str, str]
) -> Iterator[tuple[int, str, int]]:
    """(port, token, lead id) of ``kommodore serve --workers 2`` with the default limit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMMODORE_")}
    env.update(
        KOMMODORE_DATA_DIR=str(tmp_path / "data"),
        KOMMODORE_BASE_DOMAIN="kommo.test",
        KOMMODORE_LOG_LEVEL="warning",
        KOMMODORE_RATE_LIMIT_ENABLED="true",
        **counters_env,
    )
    if backend.name == "postgresql":
        env["KOMMODORE_DATABASE_URL"] = backend.url
    subdomain = f"rl{uuid.uuid4().hex[:8]}"
    demo = subprocess.run(
        [*KOMMODORE, "demo", "--subdomain", subdomain, "--leads", "20"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    token = re.search(r"^TOKEN=(\S+)$", demo.stdout, re.M)
    lead = re.search(r"/api/v4/leads/(\d+)\?", demo.stdout)
    assert token and lead, demo.stdout + demo.stderr
    port = free_port()
    command = [*KOMMODORE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with serving(command, port, env):
        yield port, token.group(1), int(lead.group(1))


def _owners(port: int) -> dict[int, int]:
    """Client port -> pid of the server process that accepted the connection."""
    out = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {int(m[2]): int(m[3]) for m in _OWNER.finditer(out) if int(m[1]) == port}


def _connections_on_both_workers(
    port: int,
) -> tuple[list[http.client.HTTPConnection], dict[int, int]]:
    """Open connections one by one until there are CONNECTIONS and each worker owns at least
    PER_WORKER of them; answer them with the owner of each (by the client's port)."""
    opened: list[http.client.HTTPConnection] = []
    per_worker: Counter[int] = Counter()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.connect()
        opened.append(conn)
        time.sleep(0.005)
        owners = _owners(port)
        per_worker = Counter(owners[_local(c)] for c in opened if _local(c) in owners)
        if (
            sum(per_worker.values()) >= CONNECTIONS
            and len(per_worker) == 2
            and min(per_worker.values()) >= PER_WORKER
        ):
            break
    else:
        pytest.fail(f"could not spread connections over two workers: {per_worker}")
    kept = [c for c in opened if _local(c) in owners]
    for conn in opened:
        if conn not in kept:
            conn.close()
    return kept, {_local(c): owners[_local(c)] for c in kept}


def _local(conn: http.client.HTTPConnection) -> int:
    assert conn.sock is not None
    port: int = conn.sock.getsockname()[1]
    return port


def test_two_workers_share_one_count(two_workers: tuple[int, str, int]) -> None:
    port, token, lead_id = two_workers
    path = f"/api/v4/leads/{lead_id}"
    headers = {"Authorization": f"Bearer {token}"}
    connections, owner_of = _connections_on_both_workers(port)
    by_worker = Counter(owner_of.values())
    assert len(by_worker) == 2 and min(by_worker.values()) >= PER_WORKER, by_worker

    # warm each worker up with one request, in an earlier second than the burst
    for worker in by_worker:
        conn = next(c for c in connections if owner_of[_local(c)] == worker)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 200

    time.sleep(1.02 - time.time() % 1)  # 20 ms into a fresh second
    locals_ = [_local(c) for c in connections]
    for conn in connections:
        conn.request("GET", path, headers=headers)
    answers = []
    for conn, local in zip(connections, locals_, strict=True):
        response = conn.getresponse()
        answers.append((owner_of[local], response.status, response.msg, response.read()))
        conn.close()

    statuses = Counter(status for _, status, _, _ in answers)
    served = Counter(worker for worker, _, _, _ in answers)
    assert statuses == {200: 7, 429: len(connections) - 7}, (statuses, served)
    assert min(served.values()) >= PER_WORKER  # each worker alone had more than 7 to pass
    for _, status, response_headers, body in answers:
        if status == 429:
            assert response_headers["Retry-After"] == "1"
            assert response_headers["Content-Type"] == "application/problem+json"
            assert json.loads(body) == {
                "title": "Too Many Requests",
                "type": "https://httpstatus.es/429",
                "status": 429,
                "detail": (
                    "You have sent too many requests in a given amount of time. "
                    "Please try again later."
                ),
                "retry_after": 1,
            }
