"""The delivery worker against a real HTTP receiver on a local port: each delivery arrives once
in the exact bytes stored, bad answers are retried on Kommo's schedule, a hanging receiver
is cut at 2 s, and a webhook with too many bad answers is disabled."""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import Iterator

import pytest

from kommodore.db import open_database
from kommodore.leads.outbox import LeadChange
from kommodore.webhooks.worker import Worker, retry_delay
from tests.conftest import Backend
from tests.factories import Account, Factory
from tests.webhooks.helpers import (
    LOOPBACK,
    Clock,
    Receiver,
    add_webhook,
    deliveries,
    enqueue,
    run_once,
    run_until_idle,
    settings,
    webhook_row,
)

ALL = ("add_lead", "update_lead", "status_lead", "responsible_lead", "delete_lead", "restore_lead")
WHEN = 1_700_000_000
"""When the helpers enqueue (seconds): the fake clocks start here."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_retry_rules() -> None:
    """Attempts 2 and 3 after any bad answer; 4 and 5 only after a 499 or a 5xx; none after 5."""
    for status in (0, 99, 300, 302, 404, 499, 500, 503):
        assert retry_delay(1, status) == 300
        assert retry_delay(2, status) == 900
    for status in (499, 500, 599):
        assert retry_delay(3, status) == 900
        assert retry_delay(4, status) == 3600
        assert retry_delay(5, status) is None
    for status in (0, 99, 300, 404, 498, 600):
        assert retry_delay(3, status) is None
    for status in (100, 200, 204, 299):
        assert retry_delay(1, status) is None


def test_each_event_type_arrives_once_in_the_stored_form(
    backend: Backend, factory: Factory, receiver: Receiver
) -> None:
    account = factory.account()
    leads = [factory.lead(account) for _ in range(6)]
    hook = add_webhook(factory, account, receiver.url, ALL)
    old = account.stages["incoming"]
    enqueue(
        backend.url, account.id,
        [LeadChange(leads[0], "add")],
        [LeadChange(leads[1], "update")],
        [LeadChange(leads[2], "update", old_stage=old)],
        [LeadChange(leads[3], "update", responsible_changed=True)],
        [LeadChange(leads[4], "delete")],
        [LeadChange(leads[5], "restore")],
    )  # fmt: skip
    stored = deliveries(factory, account)
    assert len(stored) == 6
    run_until_idle(backend.url, settings())
    received = receiver.wait_for(6)
    assert sorted(r.body for r in received) == sorted(row["body"].encode() for row in stored)
    for r in received:
        assert r.path == "/hook"
        assert r.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert r.headers["User-Agent"] == "kommodore-webhooks/1.0"
    actions = sorted(r.body.split(b"leads%5B", 1)[1].split(b"%5D", 1)[0] for r in received)
    assert actions == sorted([b"add", b"update", b"update", b"update", b"delete", b"restore"])
    # the status and responsible items ride with their update, in the same request
    assert sum(b"leads%5Bstatus%5D%5B0%5D%5Bold_status_id%5D" in r.body for r in received) == 1
    assert sum(b"leads%5Bresponsible%5D%5B0%5D%5Bid%5D" in r.body for r in received) == 1
    now = int(time.time())
    for row in deliveries(factory, account):
        assert row["status"] == "delivered" and row["attempts"] == 1
        assert row["last_status"] == 200 and row["last_error"] is None
        assert now - 60 <= row["delivered_at"] <= now + 1
        assert row["locked_until_ms"] is None and row["claimed_by"]
        assert row["webhook_id"] == hook
    # nothing is sent twice
    run_until_idle(backend.url, settings())
    time.sleep(0.2)
    assert len(receiver.requests) == 6
    assert webhook_row(factory, account, hook) == {"disabled": False, "bad_answers": []}


def _one_delivery(backend: Backend, factory: Factory, destination: str) -> tuple[Account, int]:
    account = factory.account()
    hook = add_webhook(factory, account, destination, ["add_lead"])
    enqueue(backend.url, account.id, [LeadChange(factory.lead(account), "add")])
    return account, hook


@pytest.mark.parametrize(
    ("status", "attempts"), [(500, 5), (503, 5), (499, 5), (404, 3), (302, 3), (0, 3)]
)
def test_bad_answers_follow_the_schedule(
    backend: Backend, factory: Factory, receiver: Receiver, status: int, attempts: int
) -> None:
    """On a fake clock, with the real delays: each attempt waits exactly its delay, and a
    delivery gives up after its last attempt."""
    receiver.status = status or 200
    destination = _closed_port() if status == 0 else receiver.url
    account, hook = _one_delivery(backend, factory, destination)
    clock = Clock(WHEN)
    webhook_settings = settings(retry_scale=1.0)
    due = WHEN * 1000
    for attempt in range(1, attempts + 1):
        clock.now = due / 1000 - 0.001
        assert run_once(backend.url, webhook_settings, clock) == 0  # not yet due
        clock.now = due / 1000
        assert run_once(backend.url, webhook_settings, clock) == 1
        (row,) = deliveries(factory, account)
        assert row["attempts"] == attempt and row["last_status"] == status
        if status:
            assert row["last_error"] == f"HTTP {status}"
        else:
            assert row["last_error"].startswith("ConnectionRefusedError: ")
        if attempt < attempts:
            assert row["status"] == "pending"
            due += (300, 900, 900, 3600)[attempt - 1] * 1000
            assert row["next_attempt_ms"] == due
        else:
            assert row["status"] == "failed"
    clock.now += 10 * 3600
    assert run_once(backend.url, webhook_settings, clock) == 0
    assert len(receiver.requests) == (0 if status == 0 else attempts)
    assert len({r.body for r in receiver.requests}) <= 1
    assert webhook_row(factory, account, hook)["bad_answers"] != []
    assert webhook_row(factory, account, hook)["disabled"] is False


def test_a_500_is_retried_on_the_shortened_schedule(
    backend: Backend, factory: Factory, receiver: Receiver
) -> None:
    """Real time, ``retry_scale`` 0.001: 5 attempts, 0.3 s, 0.9 s, 0.9 s and 3.6 s apart at
    the least, then the delivery fails."""
    receiver.status = 500
    account, _ = _one_delivery(backend, factory, receiver.url)
    webhook_settings = settings(retry_scale=0.001)

    async def run() -> None:
        db = await open_database(backend.url)
        worker = Worker(db, webhook_settings, outbound=LOOPBACK)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = await asyncio.to_thread(deliveries, factory, account)
            if rows[0]["status"] != "pending":
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task
        await worker.aclose()
        await db.close()

    asyncio.run(run())
    received = receiver.wait_for(5)
    assert len(received) == 5
    assert len({r.body for r in received}) == 1
    gaps = [b.at - a.at for a, b in itertools.pairwise(received)]
    for gap, delay in zip(gaps, (0.3, 0.9, 0.9, 3.6), strict=True):
        assert gap >= delay - 0.01, gaps
    (row,) = deliveries(factory, account)
    assert (row["status"], row["attempts"], row["last_status"], row["last_error"]) == (
        "failed", 5, 500, "HTTP 500",
    )  # fmt: skip


def test_a_hanging_receiver_is_cut_at_2_seconds(
    backend: Backend, factory: Factory, receiver: Receiver
) -> None:
    receiver.hang = 6.0
    account, hook = _one_delivery(backend, factory, receiver.url)
    clock = Clock(WHEN)
    began = time.monotonic()
    assert run_once(backend.url, settings(), clock) == 1
    took = time.monotonic() - began
    assert 1.9 <= took < 4.0, took  # the receiver would have taken 6 s
    assert len(receiver.requests) == 1
    (row,) = deliveries(factory, account)
    assert (row["status"], row["attempts"], row["last_status"], row["last_error"]) == (
        "pending", 1, 0, "no answer within 2 s",
    )  # fmt: skip
    assert row["next_attempt_ms"] == WHEN * 1000 + 300_000
    assert webhook_row(factory, account, hook)["bad_answers"] == [WHEN * 1000]


def test_more_than_100_bad_answers_in_2_hours_disable_the_hook(
    backend: Backend, factory: Factory, receiver: Receiver
) -> None:
    receiver.status = 500
    now_ms = WHEN * 1000
    account = factory.account()
    recent = [now_ms - 7_000_000 + i for i in range(100)]  # within 2 h (7,200,000 ms)
    old = [now_ms - 7_300_000 + i for i in range(100)]  # older than 2 h
    disabled = add_webhook(factory, account, receiver.url + "?a", ["add_lead"], bad_answers=recent)
    kept = add_webhook(factory, account, receiver.url + "?b", ["add_lead"], bad_answers=recent[1:])
    forgiven = add_webhook(factory, account, receiver.url + "?c", ["add_lead"], bad_answers=old)
    lead = factory.lead(account)
    enqueue(backend.url, account.id, [LeadChange(lead, "add")])
    clock = Clock(WHEN)
    assert run_once(backend.url, settings(), clock) == 3

    first = webhook_row(factory, account, disabled)
    assert first["disabled"] is True and len(first["bad_answers"]) == 101
    second = webhook_row(factory, account, kept)
    assert second == {"disabled": False, "bad_answers": [*recent[1:], now_ms]}
    third = webhook_row(factory, account, forgiven)
    assert third == {"disabled": False, "bad_answers": [now_ms]}

    # the disabled hook's queued retry fails unsent; the others are retried
    receiver.status = 200
    clock.now = WHEN + 300
    sent = len(receiver.requests)
    assert run_once(backend.url, settings(), clock) == 3
    assert len(receiver.requests) == sent + 2
    by_hook = {row["webhook_id"]: row for row in deliveries(factory, account)}
    assert (by_hook[disabled]["status"], by_hook[disabled]["attempts"]) == ("failed", 1)
    assert by_hook[disabled]["last_error"] == "webhook disabled"
    assert by_hook[kept]["status"] == by_hook[forgiven]["status"] == "delivered"
    # and it gets no new deliveries
    enqueue(backend.url, account.id, [LeadChange(lead, "add")])
    assert {row["webhook_id"] for row in deliveries(factory, account)[3:]} == {kept, forgiven}


def test_a_deleted_hooks_queue_is_dropped_unsent(
    backend: Backend, factory: Factory, receiver: Receiver
) -> None:
    account, hook = _one_delivery(backend, factory, receiver.url)
    factory.execute("DELETE FROM webhooks WHERE account_id = :a AND id = :i", a=account.id, i=hook)
    assert run_once(backend.url, settings(), Clock(WHEN)) == 1
    (row,) = deliveries(factory, account)
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 0, "webhook deleted")
    assert receiver.requests == []


def test_an_expired_claim_is_taken_over(
    backend: Backend, factory: Factory, receiver: Receiver
) -> None:
    """A worker that died holding a claim: another takes the delivery once the lease is out,
    not before."""
    account, _ = _one_delivery(backend, factory, receiver.url)
    factory.execute(
        "UPDATE webhook_deliveries SET locked_until_ms = :l, claimed_by = 'dead' "
        "WHERE account_id = :a",
        l=WHEN * 1000 + 30_000, a=account.id,
    )  # fmt: skip
    assert run_once(backend.url, settings(), Clock(WHEN + 29)) == 0
    assert run_once(backend.url, settings(), Clock(WHEN + 31)) == 1
    (row,) = deliveries(factory, account)
    assert row["status"] == "delivered" and row["claimed_by"] != "dead"
    assert len(receiver.requests) == 1


def test_in_app_worker_delivers_and_stops_cleanly(
    backend: Backend, factory: Factory, receiver: Receiver
) -> None:
    from kommodore.webhooks.worker import in_app

    account, _ = _one_delivery(backend, factory, receiver.url)

    async def run() -> None:
        db = await open_database(backend.url)
        try:
            async with in_app(db, settings(), outbound=LOOPBACK):
                await asyncio.to_thread(receiver.wait_for, 1)
            async with in_app(db, settings(worker_in_process=False)):
                pass
        finally:
            await db.close()

    asyncio.run(run())
    (row,) = deliveries(factory, account)
    assert row["status"] == "delivered"
    assert len(receiver.requests) == 1
