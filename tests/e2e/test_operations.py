"""The server as an operator runs it: several workers behind one /metrics, and a SIGTERM that
stops everything within seconds under both servers."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e
KOMMODORE = [sys.executable, "-m", "kommodore"]
STOP_BOUND_SECONDS = 10
REQUESTS = re.compile(r'^kommodore_http_requests_total\{method="GET",status="200"\} (\S+)$', re.M)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMMODORE_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(KOMMODORE_DATA_DIR=str(data_dir), KOMMODORE_ACCESS_LOG="false")
    return env


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(
        [*KOMMODORE, "serve", "--port", str(port), *args],
        env=_env(tmp_path / "data"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    return server, f"http://127.0.0.1:{port}"


def _wait_healthy(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    output = server.stdout.read().decode() if server.stdout else ""
    pytest.fail(f"server did not start:\n{output}")


def _wait_line(server: subprocess.Popen[bytes], text: bytes) -> None:
    assert server.stdout is not None
    for raw in server.stdout:
        if text in raw:
            return
    pytest.fail(f"the server exited before printing {text!r}")


def _group_gone(pgid: int, deadline: float) -> bool:
    """True once no process of the server's group (main process and workers) is left."""
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


@pytest.fixture
def cleanup() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for server in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def test_metrics_with_two_workers_never_go_backwards(
    tmp_path: Path, cleanup: list[subprocess.Popen[bytes]]
) -> None:
    server, base = _start(tmp_path, "--workers", "2")
    cleanup.append(server)
    _wait_healthy(server, base)
    seen: list[float] = []
    for _ in range(20):
        for _ in range(3):  # a new connection each: either worker may answer
            assert httpx.get(f"{base}/healthz").status_code == 200
        scrape = httpx.get(f"{base}/metrics")
        assert scrape.status_code == 200
        found = REQUESTS.search(scrape.text)
        assert found, scrape.text
        seen.append(float(found.group(1)))
    assert seen == sorted(seen), seen
    assert seen[-1] - seen[0] >= 19 * 3  # every worker's requests are in every scrape


@pytest.mark.parametrize("server_name", ["uvicorn", "granian"])
@pytest.mark.parametrize("moment", ["at the start-up line", "as workers start", "once serving"])
def test_sigterm_right_after_start_stops_within_bound(
    tmp_path: Path, cleanup: list[subprocess.Popen[bytes]], server_name: str, moment: str
) -> None:
    server, base = _start(tmp_path, "--workers", "2", "--server", server_name)
    cleanup.append(server)
    if moment == "once serving":
        _wait_healthy(server, base)
    else:
        _wait_line(server, b"listening on")
    if moment == "as workers start":
        # granian announces each worker it spawns; uvicorn (at warning level) does not
        if server_name == "granian":
            _wait_line(server, b"Spawning worker-2")
        time.sleep(0.3)
    server.send_signal(signal.SIGTERM)  # to the main process alone, as `docker stop` does
    deadline = time.monotonic() + STOP_BOUND_SECONDS
    server.wait(timeout=STOP_BOUND_SECONDS)
    assert _group_gone(server.pid, deadline), "a worker outlived the bound"
