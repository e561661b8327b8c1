"""Real server processes for the end-to-end tests: a free port, a start that waits for
``/healthz``, and a stop that takes the whole process group (every worker) down."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

KOMMODORE = [sys.executable, "-m", "kommodore"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def serving(
    args: list[str],
    port: int,
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    log: Path | None = None,
    timeout: float = 60,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` (a server listening on ``port``) until ``/healthz`` answers 200, yield it,
    then SIGTERM its process group. Its output goes to ``log`` (a temporary file when not
    given: an unread pipe would fill up and stall a chatty server) and into the failure
    message if it does not start."""
    with log.open("w+b") if log else tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            args, env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + timeout
            while not healthy(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    out.seek(0)
                    pytest.fail(f"server did not start:\n{out.read().decode(errors='replace')}")
                time.sleep(0.1)
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
