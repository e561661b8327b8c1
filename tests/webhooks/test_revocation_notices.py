"""Revocation notices through the webhook outbox: queued in the revoking transaction, sent by
the delivery worker as Kommo sends them (``GET revocation_url?client_uuid&account_id&signature``,
``User-Agent: amoService-oAuth-Code-Sender/1.0``), retried on the webhook schedule, checked
against the destination policy, sent once however many workers run, and listed with the
deliveries."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Iterator, Sequence
from urllib.parse import parse_qs, urlsplit

import pytest

from kommodore.db import open_database
from kommodore.integrations import service as integrations
from kommodore.integrations.store import Integration
from kommodore.outbound import OutboundPolicy
from kommodore.webhooks import store
from kommodore.webhooks.store import Delivery
from kommodore.webhooks.worker import Worker
from tests.conftest import Backend
from tests.factories import Account, Factory
from tests.webhooks.helpers import LOOPBACK, Clock, Receiver, deliveries, run_once, settings

WHEN = 1_700_000_000
USER_AGENT = "amoService-oAuth-Code-Sender/1.0"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _signature(client_id: str, secret: str, account_id: int) -> str:
    return hmac.new(
        secret.encode(), f"{client_id}|{account_id}".encode(), hashlib.sha256
    ).hexdigest()


def _query(integration: Integration, account_id: int) -> str:
    signature = _signature(integration.id, integration.secret, account_id)
    return f"client_uuid={integration.id}&account_id={account_id}&signature={signature}"


def _installed(backend: Backend, accounts: Sequence[Account], url: str) -> Integration:
    """A public integration with ``url`` as its revocation URL, installed in ``accounts``."""

    async def run() -> Integration:
        db = await open_database(backend.url)
        try:
            async with db.transaction() as conn:
                made = await integrations.create(
                    conn, name="Notified", redirect_uri="https://shop.example/cb",
                    revocation_url=url, now=WHEN,
                )  # fmt: skip
                for a in accounts:
                    await integrations.install(
                        conn, account_id=a.id, integration_id=made.id, user_id=a.admin, now=WHEN
                    )
            return made
        finally:
            await db.close()

    return asyncio.run(run())


def _disable(backend: Backend, integration: Integration) -> integrations.Revocation | None:
    async def run() -> integrations.Revocation | None:
        db = await open_database(backend.url)
        try:
            return await integrations.disable_and_notify(db, integration.id, WHEN)
        finally:
            await db.close()

    return asyncio.run(run())


def _listed(backend: Backend, account: Account) -> list[Delivery]:
    """What the control API's deliveries listing reads."""

    async def run() -> list[Delivery]:
        db = await open_database(backend.url)
        try:
            async with db.connection() as conn:
                return await store.deliveries(conn, account_id=account.id)
        finally:
            await db.close()

    return asyncio.run(run())


def test_failing_twice_then_answering(backend: Backend, factory: Factory, receiver: Receiver):
    """On a fake clock with the real delays: 500, 500 (each waits its delay: 5, then 15
    minutes), then 200; the signed GET each time, and nothing after it is delivered."""
    account = factory.account()
    url = f"{receiver.url}?from=kommodore"  # the URL's own query is kept
    integration = _installed(backend, [account], url)
    revocation = _disable(backend, integration)
    assert revocation is not None
    assert (revocation.account_ids, revocation.notices_queued) == ([account.id], 1)

    (queued,) = _listed(backend, account)
    assert queued == Delivery(
        id=queued.id, account_id=account.id, webhook_id=0, kind="revocation", destination=url,
        status="pending", attempts=0, next_attempt_ms=WHEN * 1000, last_status=None,
        last_error=None, delivered_at=None, created_at=WHEN,
        body=_query(integration, account.id),
    )  # fmt: skip

    clock = Clock(WHEN)
    webhook_settings = settings(retry_scale=1.0)
    due = WHEN
    for attempt, status in enumerate((500, 500, 200), start=1):
        receiver.status = status
        clock.now = due - 0.001
        assert run_once(backend.url, webhook_settings, clock) == 0  # not yet due
        clock.now = due
        assert run_once(backend.url, webhook_settings, clock) == 1
        (row,) = deliveries(factory, account)
        assert (row["attempts"], row["last_status"]) == (attempt, status)
        if status == 200:
            assert (row["status"], row["last_error"], row["delivered_at"]) == (
                "delivered", None, due
            )  # fmt: skip
        else:
            due += (300, 900)[attempt - 1]
            assert (row["status"], row["last_error"], row["next_attempt_ms"]) == (
                "pending", "HTTP 500", due * 1000
            )  # fmt: skip
    clock.now += 10 * 3600
    assert run_once(backend.url, webhook_settings, clock) == 0

    assert len(receiver.requests) == 3
    for request in receiver.requests:
        parts = urlsplit(request.path)
        assert parts.path == "/hook"
        assert parse_qs(parts.query) == {
            "from": ["kommodore"], "client_uuid": [integration.id],
            "account_id": [str(account.id)],
            "signature": [_signature(integration.id, integration.secret, account.id)],
        }  # fmt: skip
        assert request.headers["User-Agent"] == USER_AGENT
        assert request.body == b""


def test_the_destination_policy_applies(backend: Backend, factory: Factory, receiver: Receiver):
    """A notice to loopback under a policy that refuses it is not sent: it fails its attempt
    with the refusal and waits for the next, as a webhook delivery does."""
    account = factory.account()
    integration = _installed(backend, [account], receiver.url)
    _disable(backend, integration)
    clock = Clock(WHEN)
    assert run_once(backend.url, settings(), clock, outbound=OutboundPolicy()) == 1
    (row,) = deliveries(factory, account)
    assert (row["status"], row["attempts"], row["last_status"]) == ("pending", 1, 0)
    assert row["last_error"].startswith("destination refused")
    assert receiver.requests == []
    # allowed, the retry goes out
    clock.now = WHEN + 300
    assert run_once(backend.url, settings(), clock, outbound=LOOPBACK) == 1
    assert [r.path for r in receiver.requests] == [f"/hook?{_query(integration, account.id)}"]


def test_sent_once_by_several_workers(backend: Backend, factory: Factory, receiver: Receiver):
    """Disabled in three accounts: three notices, each sent once by two workers at work."""
    accounts = [factory.account() for _ in range(3)]
    integration = _installed(backend, accounts, receiver.url)
    revocation = _disable(backend, integration)
    assert revocation is not None and revocation.notices_queued == 3

    async def run() -> None:
        dbs = [await open_database(backend.url) for _ in range(2)]
        workers = [
            Worker(db, settings(batch_size=1), outbound=LOOPBACK, clock=Clock(WHEN)) for db in dbs
        ]
        try:
            await asyncio.gather(*(w.run(asyncio.Event(), until_idle=True) for w in workers))
        finally:
            for w, db in zip(workers, dbs, strict=True):
                await w.aclose()
                await db.close()

    asyncio.run(run())
    assert sorted(r.path for r in receiver.requests) == sorted(
        f"/hook?{_query(integration, a.id)}" for a in accounts
    )
    for a in accounts:
        (row,) = deliveries(factory, a)
        assert (row["status"], row["attempts"]) == ("delivered", 1)


def test_a_rolled_back_revocation_queues_nothing(
    backend: Backend, factory: Factory, receiver: Receiver
):
    account = factory.account()
    integration = _installed(backend, [account], receiver.url)

    async def run() -> None:
        db = await open_database(backend.url)
        try:
            with pytest.raises(RuntimeError):
                async with db.transaction() as conn:
                    assert await integrations.disable(conn, integration.id, WHEN) == [account.id]
                    raise RuntimeError("the command failed after disabling")
        finally:
            await db.close()

    asyncio.run(run())
    assert deliveries(factory, account) == []
    assert run_once(backend.url, settings(), Clock(WHEN)) == 0
    assert receiver.requests == []
