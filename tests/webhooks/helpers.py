"""A real HTTP receiver on a local port, and shortcuts to the outbox and the worker."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import sqlalchemy as sa

from kommodore.db import open_database
from kommodore.leads.outbox import LeadChange, enqueue_lead_changes
from kommodore.outbound import OutboundPolicy
from kommodore.settings import WebhookSettings
from kommodore.webhooks.payload import assemble
from kommodore.webhooks.store import SECTIONS
from kommodore.webhooks.worker import Worker
from tests.factories import Account, Factory


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """``http.server`` in a thread on 127.0.0.1: records every request's path (with its query)
    and raw body, answers ``status`` after ``hang`` seconds; GETs (revocation notices) too."""

    status: int = 200
    hang: float = 0.0
    statuses: list[int] = field(default_factory=list)
    """Answers for the next requests, in order, before ``status`` again."""
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # a revocation notice
                self.do_POST()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Received(self.path, dict(self.headers.items()), body, time.monotonic())
                    )
                    status, hang = receiver.status, receiver.hang
                    if receiver.statuses:
                        status = receiver.statuses.pop(0)
                if hang:
                    time.sleep(hang)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @property
    def bodies(self) -> list[bytes]:
        with self.lock:
            return [r.body for r in self.requests]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.requests)} requests arrived, expected {count}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def add_webhook(
    factory: Factory,
    account: Account,
    destination: str,
    settings: Sequence[str] = ("add_lead",),
    *,
    disabled: bool = False,
    bad_answers: Sequence[int] = (),
) -> int:
    """A webhook row written straight into the database."""
    hook_id = factory.id("webhooks")
    factory.execute(
        "INSERT INTO webhooks (account_id, id, destination, settings, sort, disabled, "
        "created_by, created_at, updated_at, bad_answers) VALUES (:a, :i, :d, :s, 1, :dis, "
        ":u, 1, 1, :b)",
        a=account.id, i=hook_id, d=destination, s=json.dumps(list(settings)), dis=disabled,
        u=account.admin, b=json.dumps(list(bad_answers)),
    )  # fmt: skip
    return hook_id


def enqueue(
    url: str, account_id: int, *batches: Sequence[LeadChange], now: int = 1_700_000_000
) -> None:
    """Each batch enqueued in a transaction of its own, as a write path does."""

    async def run() -> None:
        db = await open_database(url)
        try:
            for changes in batches:
                async with db.transaction() as conn:
                    await enqueue_lead_changes(conn, account_id, changes, now)
        finally:
            await db.close()

    asyncio.run(run())


def deliveries(factory: Factory, account: Account) -> list[dict[str, Any]]:
    """The account's deliveries by id, each with ``body``: the bytes it is sent as."""
    sections = ", ".join(f"b.{a}_items" for a in SECTIONS)
    with factory.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT d.id, d.webhook_id, d.destination, d.body_id, d.actions, d.status, "  # noqa: S608 (a column list constant)
                "d.attempts, d.next_attempt_ms, d.locked_until_ms, d.claimed_by, d.last_status, "
                f"d.last_error, d.delivered_at, d.created_at, b.head, {sections} "
                "FROM webhook_deliveries d LEFT JOIN webhook_bodies b "
                "ON b.account_id = d.account_id AND b.id = d.body_id "
                "WHERE d.account_id = :a ORDER BY d.id"
            ),
            {"a": account.id},
        ).mappings()
        found = []
        for r in rows:
            row = {k: v for k, v in r.items() if k != "head" and not k.endswith("_items")}
            chosen = [r[f"{a}_items"] for a in r["actions"].split(",") if a]
            row["body"] = None if r["head"] is None else assemble(r["head"], chosen)
            found.append(row)
        return found


def webhook_row(factory: Factory, account: Account, hook_id: int) -> dict[str, Any]:
    with factory.engine.begin() as conn:
        row = (
            conn.execute(
                sa.text(
                    "SELECT disabled, bad_answers FROM webhooks WHERE account_id = :a AND id = :i"
                ),
                {"a": account.id, "i": hook_id},
            )
            .mappings()
            .one()
        )
        return {"disabled": bool(row["disabled"]), "bad_answers": json.loads(row["bad_answers"])}


class Clock:
    """A settable clock for the worker (seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def settings(**values: Any) -> WebhookSettings:
    base: dict[str, Any] = {"worker_in_process": True, "poll_interval_seconds": 0.02}
    base.update(values)
    return WebhookSettings(**base)


LOOPBACK = OutboundPolicy(allow_loopback=True)
"""The receivers of these tests listen on 127.0.0.1: allowed explicitly, on both databases."""


def run_once(
    url: str,
    webhook_settings: WebhookSettings,
    clock: Clock | None = None,
    *,
    outbound: OutboundPolicy = LOOPBACK,
) -> int:
    """One claim-post-record round of a fresh worker."""

    async def run() -> int:
        db = await open_database(url)
        worker = Worker(
            db, webhook_settings, outbound=outbound, **({"clock": clock} if clock else {})
        )
        try:
            return await worker.run_once()
        finally:
            await worker.aclose()
            await db.close()

    return asyncio.run(run())


def run_until_idle(url: str, webhook_settings: WebhookSettings) -> None:
    async def run() -> None:
        db = await open_database(url)
        worker = Worker(db, webhook_settings, outbound=LOOPBACK)
        try:
            await worker.run(asyncio.Event(), until_idle=True)
        finally:
            await worker.aclose()
            await db.close()

    asyncio.run(run())
