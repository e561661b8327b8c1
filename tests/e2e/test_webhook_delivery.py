"""End to end: webhooks subscribed and leads written through the real server's API, delivered
by ``kommodore worker`` processes (or the server's own worker) to a receiver on a local port.

The outbox is written in the lead's transaction: a server killed with ``SIGKILL`` after the
write was acknowledged, before anything was delivered, delivers after restart, exactly once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from tests.conftest import Backend
from tests.e2e.test_crash_durability import _start, _stop
from tests.e2e.test_serve import _env
from tests.processes import KOMMODORE
from tests.processes import free_port as _free_port
from tests.webhooks.helpers import Receiver

pytestmark = pytest.mark.e2e


@dataclass
class Site:
    env: dict[str, str]
    token: str
    receiver: Receiver
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def serve(self, **env: str) -> str:
        port = _free_port()
        server = _start({**self.env, **env}, port)
        self.processes.append(server)
        return f"http://127.0.0.1:{port}"

    def worker(self, *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [*KOMMODORE, "worker", *args],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.processes.append(process)
        return process


@pytest.fixture
def site(backend: Backend, tmp_path: Path) -> Iterator[Site]:
    """A demo account in a fresh data dir and a receiver; every process is stopped at the end."""
    env = _env(backend, tmp_path / "data")
    env.update(
        KOMMODORE_WEBHOOK_WORKER_IN_PROCESS="false",
        KOMMODORE_WEBHOOK_POLL_INTERVAL_SECONDS="0.1",
        KOMMODORE_WEBHOOK_RETRY_SCALE="0.001",
        KOMMODORE_RATE_LIMIT_ENABLED="false",
        # the receiver is on 127.0.0.1; PostgreSQL refuses loopback unless told
        KOMMODORE_OUTBOUND_ALLOW_LOOPBACK="true",
    )
    demo = subprocess.run(
        [*KOMMODORE, "demo", "--subdomain", f"hook{uuid.uuid4().hex[:8]}", "--leads", "5"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    token = re.search(r"^TOKEN=(\S+)$", demo.stdout, re.M)
    assert token, demo.stdout + demo.stderr
    s = Site(env, token.group(1), Receiver())
    try:
        yield s
    finally:
        for process in s.processes:
            _stop(process, signal.SIGKILL)
        s.receiver.close()


def _subscribe_and_write(site: Site, base: str, name: str) -> int:
    """Subscribe the receiver to lead adds, then add one lead; its id."""
    with httpx.Client(base_url=base, headers=site.headers, timeout=30) as http:
        hook = http.post(
            "/api/v4/webhooks", json={"destination": site.receiver.url, "settings": ["add_lead"]}
        )
        assert hook.status_code == 201, hook.text
        added = http.post("/api/v4/leads", json=[{"name": name}])
        assert added.status_code == 200, added.text
        lead_id: int = added.json()["_embedded"]["leads"][0]["id"]
        return lead_id


def _fields(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode(), strict_parsing=True))


def test_a_lead_added_through_the_api_is_delivered_once(site: Site) -> None:
    base = site.serve()
    worker = site.worker()
    lead_id = _subscribe_and_write(site, base, "Webhook e2e")
    (received,) = site.receiver.wait_for(1)
    fields = _fields(received.body)
    assert fields["leads[add][0][id]"] == str(lead_id)
    assert fields["leads[add][0][name]"] == "Webhook e2e"
    assert received.body.startswith(b"account%5Bsubdomain%5D=hook")
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    time.sleep(1.0)  # several polls later, still once
    assert len(site.receiver.requests) == 1
    os.killpg(worker.pid, signal.SIGTERM)
    assert worker.wait(timeout=15) == 0


def test_a_server_killed_before_delivery_delivers_after_restart_once(site: Site) -> None:
    """No worker runs while the lead is written; the server dies with SIGKILL; a worker started
    afterwards finds the committed delivery and sends it, once."""
    base = site.serve()
    lead_id = _subscribe_and_write(site, base, "Survives a crash")
    _stop(site.processes[0], signal.SIGKILL)
    assert site.receiver.requests == []

    first = site.worker("--until-idle")
    output, _ = first.communicate(timeout=60)
    assert first.returncode == 0, output.decode()
    (received,) = site.receiver.wait_for(1)
    assert _fields(received.body)["leads[add][0][id]"] == str(lead_id)

    again = site.worker("--until-idle")
    again.communicate(timeout=60)
    base = site.serve()  # and a restarted server does not send it again either
    time.sleep(0.5)
    assert len(site.receiver.requests) == 1


def test_the_servers_own_worker_delivers(site: Site) -> None:
    base = site.serve(KOMMODORE_WEBHOOK_WORKER_IN_PROCESS="true")
    lead_id = _subscribe_and_write(site, base, "In process")
    (received,) = site.receiver.wait_for(1)
    assert _fields(received.body)["leads[add][0][id]"] == str(lead_id)
    time.sleep(1.0)
    assert len(site.receiver.requests) == 1


def test_a_revocation_notice_is_retried_until_answered(site: Site) -> None:
    """``kommodore integration disable`` queues the notice; the server's worker sends it,
    answered 500 twice then 200, on the (shortened) webhook schedule: three signed GETs."""
    site.receiver.statuses = [500, 500]
    base = site.serve(KOMMODORE_WEBHOOK_WORKER_IN_PROCESS="true")
    with httpx.Client(base_url=base, headers=site.headers, timeout=30) as http:
        account = http.get("/api/v4/account").json()
    created = subprocess.run(
        [*KOMMODORE, "integration", "create", "--name", "Notified", "--redirect-uri",
         "https://shop.example/cb", "--revocation-url", site.receiver.url, "--private",
         "--subdomain", account["subdomain"]],
        env=site.env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    made = json.loads(created.stdout)
    disabled = subprocess.run(
        [*KOMMODORE, "integration", "disable", made["client_id"]],
        env=site.env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "revocation notices queued: 1" in disabled.stderr
    received = site.receiver.wait_for(3)
    signature = hmac.new(
        made["client_secret"].encode(), f"{made['client_id']}|{account['id']}".encode(),
        hashlib.sha256,
    ).hexdigest()  # fmt: skip
    for r in received:
        assert r.path == (
            f"/hook?client_uuid={made['client_id']}&account_id={account['id']}"
            f"&signature={signature}"
        )
        assert r.headers["User-Agent"] == "amoService-oAuth-Code-Sender/1.0"
    time.sleep(1.0)  # answered: never again
    assert len(site.receiver.requests) == 3
