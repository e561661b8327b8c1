"""Real server processes for the end-to-end tests: a free port, a start that waits for
``/healthz``, and a stop that takes the whole process group (every worker) down."""

from __future__ import annotations

import contextlib
import os
import re
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


def demo_account(env: Mapping[str, str], subdomain: str, leads: int) -> tuple[str, int]:
    """``kommodore demo`` for a new account: its admin token and one of its lead ids."""
    demo = subprocess.run(
        [*KOMMODORE, "demo", "--subdomain", subdomain, "--leads", str(leads)],
        env=dict(env), capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    token = re.search(r"^TOKEN=(\S+)$", demo.stdout, re.M)
    lead = re.search(r"/api/v4/leads/(\d+)\?", demo.stdout)
    assert token and lead, demo.stdout + demo.stderr
    return token.group(1), int(lead.group(1))


def require_program(name: str) -> str:
    """The path of a program a test runs (pgbouncer, haproxy, nginx): under ``CI=true`` a
    missing one fails (``.ci/run`` installs them), elsewhere the test skips saying why."""
    import shutil

    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found:
        return found
    message = f"{name} is not installed (apt-get install {name})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; it is required under CI=true")
    pytest.skip(f"{message}; set CI=true to require it")


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 15
) -> None:
    """Wait until something accepts connections on ``port``; fail with ``log`` if ``process``
    exits first."""
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{process.args!r} did not listen on {port}:\n{log.read_text()}")
        time.sleep(0.05)


@contextmanager
def running(args: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A helper daemon in the foreground (pgbouncer, haproxy, nginx) until it listens on
    ``port``; terminated (its own process, by pid) when the block ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


PGBOUNCER_INI = Path(__file__).resolve().parents[1] / "deploy" / "pgbouncer" / "pgbouncer.ini"


@contextmanager
def pgbouncer(upstream_url: str, directory: Path, **overrides: str) -> Iterator[str]:
    """PgBouncer (transaction pooling) on a free port in front of ``upstream_url``'s server,
    configured from the shipped ``deploy/pgbouncer/pgbouncer.ini`` with the test's listen port,
    upstream and trust authentication (and ``overrides`` of its settings); yields the same
    database's URL through it."""
    import configparser
    from urllib.parse import urlsplit

    binary = require_program("pgbouncer")
    upstream = urlsplit(upstream_url)
    port = free_port()
    config = configparser.ConfigParser(interpolation=None)
    config.read(PGBOUNCER_INI)
    config["databases"] = {
        "*": f"host={upstream.hostname} port={upstream.port or 5432}",
    }
    user = upstream.username or "postgres"
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    userlist = directory / "userlist.txt"
    userlist.write_text(f'"{user}" ""\n')
    settings = config["pgbouncer"]
    settings.update(
        listen_addr="127.0.0.1", listen_port=str(port), unix_socket_dir="",
        auth_type="trust", auth_file=str(userlist), admin_users=user,
    )  # fmt: skip
    settings.update(overrides)
    for key in ("logfile", "pidfile", "auth_query", "auth_user"):
        settings.pop(key, None)
    ini = directory / "pgbouncer.ini"
    with ini.open("w") as out:
        config.write(out)
    ini.chmod(0o644)
    userlist.chmod(0o644)
    # PgBouncer refuses to run as root; -u drops to an unprivileged user.
    as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
    with running([binary, *as_user, str(ini)], port, directory / "pgbouncer.log"):
        yield upstream._replace(netloc=f"{user}@127.0.0.1:{port}").geturl()
