"""End to end: ``SIGKILL`` the real server while lead batches are being written, restart it on
the same database, and check that every batch is all there or not there at all.

A ``POST /api/v4/leads`` batch is one transaction (all or nothing), and a 200 is sent
only after it committed; a crash may lose the batches in flight, never part of one, and never
one that was acknowledged.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Backend
from tests.e2e.test_serve import _env
from tests.processes import KOMMODORE
from tests.processes import free_port as _free_port

pytestmark = pytest.mark.e2e

BATCH = 250
ACKS_BEFORE_KILL = 3
SENDERS = 2
"""Threads posting batches back to back, so that a request is in flight when the kill lands."""
MAX_BATCHES = 40
"""A bound on what the senders may post should the kill never come (it always does)."""
DEMO_LEADS = 10
NAME = re.compile(r"^b(\d+)-(\d+)$")


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """``kommodore serve`` in its own process group, once ``/healthz`` answers."""
    server = subprocess.Popen(
        [*KOMMODORE, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            _stop(server, signal.SIGKILL)
            output = server.stdout.read().decode() if server.stdout else ""
            pytest.fail(f"server did not start:\n{output}")
        time.sleep(0.1)


def _stop(server: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> None:
    if server.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, sig)
    server.wait(timeout=15)


@dataclass
class Account:
    env: dict[str, str]
    token: str
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def account(backend: Backend, tmp_path: Path) -> Iterator[Account]:
    """A demo account in a fresh data dir; every server started on it is stopped at the end."""
    env = _env(backend, tmp_path / "data")
    env["KOMMODORE_RATE_LIMIT_ENABLED"] = "false"  # it pages through every lead at full speed
    env["KOMMODORE_ACCESS_LOG"] = "false"  # its output goes to a pipe nobody reads
    demo = subprocess.run(
        [*KOMMODORE, "demo", "--subdomain", f"crash{uuid.uuid4().hex[:8]}",
         "--leads", str(DEMO_LEADS)],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    token = re.search(r"^TOKEN=(\S+)$", demo.stdout, re.M)
    assert token, demo.stdout + demo.stderr
    acc = Account(env, token.group(1))
    try:
        yield acc
    finally:
        for server in acc.servers:
            _stop(server, signal.SIGKILL)


def _batch(n: int, field_id: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"b{n}-{i}",
            "custom_fields_values": [{"field_id": field_id, "values": [{"value": f"v{n}-{i}"}]}],
            "tags_to_add": [{"name": f"batch-{n}"}],
        }
        for i in range(BATCH)
    ]


@dataclass
class Stream:
    """Batches posted by the sender threads: numbers sent, and the lead ids of each 200."""

    base: str
    headers: dict[str, str]
    field_id: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_batch: int = 1
    sent: set[int] = field(default_factory=set)
    acked: dict[int, list[int]] = field(default_factory=dict)
    other: list[tuple[int, int, str]] = field(default_factory=list)
    enough: threading.Event = field(default_factory=threading.Event)
    killed: threading.Event = field(default_factory=threading.Event)

    def send(self) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=30) as http:
            while not self.killed.is_set():
                with self.lock:
                    n = self.next_batch
                    if n > MAX_BATCHES:
                        return
                    self.next_batch += 1
                    self.sent.add(n)
                try:
                    response = http.post("/api/v4/leads", json=_batch(n, self.field_id))
                except httpx.TransportError:
                    return  # the server is gone
                with self.lock:
                    if response.status_code != 200:
                        self.other.append((n, response.status_code, response.text[:500]))
                        self.enough.set()
                        return
                    leads = response.json()["_embedded"]["leads"]
                    self.acked[n] = [lead["id"] for lead in leads]
                    if len(self.acked) >= ACKS_BEFORE_KILL:
                        self.enough.set()


def _index(lead: dict[str, Any]) -> int:
    """i of a lead named ``b{n}-{i}``."""
    match = NAME.match(lead["name"])
    assert match, lead
    return int(match.group(2))


def _unported(leads: list[dict[str, Any]], base: str) -> Any:
    """The leads as JSON with the server's origin (its port changes on restart) blanked."""
    return json.loads(json.dumps(leads).replace(base, "ORIGIN"))


def _all_leads(base: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    leads: list[dict[str, Any]] = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        page = 1
        while True:
            response = http.get("/api/v4/leads", params={"limit": BATCH, "page": page})
            if response.status_code == 204:
                return leads
            assert response.status_code == 200, response.text
            got = response.json()["_embedded"]["leads"]
            leads += got
            if len(got) < BATCH:
                return leads
            page += 1


def _lead_tags(base: str, headers: dict[str, str]) -> set[str]:
    names: set[str] = set()
    page = 1
    while True:
        response = httpx.get(
            f"{base}/api/v4/leads/tags", params={"limit": 250, "page": page}, headers=headers
        )
        if response.status_code == 204:
            return names
        assert response.status_code == 200, response.text
        got = response.json()["_embedded"]["tags"]
        names |= {tag["name"] for tag in got}
        if len(got) < 250:
            return names
        page += 1


def test_sigkill_during_lead_batches_loses_no_acknowledged_batch_and_no_part_of_one(
    account: Account,
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    account.servers.append(server := _start(account.env, port))
    fields = httpx.get(f"{base}/api/v4/leads/custom_fields?limit=250", headers=account.headers)
    assert fields.status_code == 200, fields.text
    field_id, field_name = next(
        (f["id"], f["name"])
        for f in fields.json()["_embedded"]["custom_fields"]
        if f["type"] == "text"
    )

    before = _all_leads(base, account.headers)  # the demo's leads (a deleted one is not listed)
    assert before and not any(NAME.match(lead["name"]) for lead in before)

    stream = Stream(base, account.headers, field_id)
    senders = [threading.Thread(target=stream.send, daemon=True) for _ in range(SENDERS)]
    for sender in senders:
        sender.start()
    assert stream.enough.wait(timeout=60), "no batch acknowledged within 60 s"
    os.killpg(server.pid, signal.SIGKILL)  # no waiting: the next batches are on the wire
    stream.killed.set()
    server.wait(timeout=15)
    for sender in senders:
        sender.join(timeout=40)
        assert not sender.is_alive()
    with stream.lock:
        sent, acked, other = set(stream.sent), dict(stream.acked), list(stream.other)
    assert other == [], other
    assert len(acked) >= ACKS_BEFORE_KILL

    first_base, port = base, _free_port()
    base = f"http://127.0.0.1:{port}"
    account.servers.append(_start(account.env, port))
    leads = _all_leads(base, account.headers)

    by_batch: dict[int, list[dict[str, Any]]] = defaultdict(list)
    others = []
    for lead in leads:
        match = NAME.match(lead["name"])
        if match:
            by_batch[int(match.group(1))].append(lead)
        else:
            others.append(lead)
    assert _unported(others, base) == _unported(before, first_base)  # untouched
    assert set(by_batch) <= sent
    present = set()
    for n in sorted(sent):
        got = by_batch.get(n, [])
        assert len(got) in (0, BATCH), f"batch {n}: {len(got)} of {BATCH} leads survived"
        if not got:
            continue
        present.add(n)
        assert sorted(_index(lead) for lead in got) == list(range(BATCH))
        for lead in got:
            i = _index(lead)
            assert lead["custom_fields_values"] == [
                {
                    "field_id": field_id,
                    "field_name": field_name,
                    "field_code": None,
                    "field_type": "text",
                    "values": [{"value": f"v{n}-{i}"}],
                }
            ], lead
            assert [t["name"] for t in lead["_embedded"]["tags"]] == [f"batch-{n}"], lead
    for n, ids in acked.items():
        assert n in present, f"batch {n} was acknowledged but is gone after the crash"
        assert sorted(ids) == sorted(lead["id"] for lead in by_batch[n])
    assert len(leads) == len(before) + BATCH * len(present)
    # a tag is created in its batch's transaction: it exists exactly for the surviving batches
    tags = {t for t in _lead_tags(base, account.headers) if t.startswith("batch-")}
    assert tags == {f"batch-{n}" for n in present}

    # the restarted server goes on writing: ids and sequences survived the crash consistently
    n = max(sent) + 1
    response = httpx.post(
        f"{base}/api/v4/leads", json=_batch(n, field_id), headers=account.headers, timeout=30
    )
    assert response.status_code == 200, response.text
    new_ids = {lead["id"] for lead in response.json()["_embedded"]["leads"]}
    assert len(new_ids) == BATCH
    assert not new_ids & {lead["id"] for lead in leads}
    after = _all_leads(base, account.headers)
    assert len(after) == len(leads) + BATCH
