"""The delivery worker: claims due deliveries from the outbox, posts them, records the answers.

Revocation notices (``kind`` ``revocation``) travel the same way: claimed, sent (a GET of the
revocation URL with the notice's query), retried on the same schedule and recorded; they have
no webhook to check, count bad answers of or disable.

Claims are atomic (see :func:`kommodore.webhooks.store.claim`), so any number of workers, in
server processes or ``kommodore worker`` processes, share the outbox without sending a
delivery twice. A worker that dies after posting but before recording lets its claim lapse
(``lease_seconds``) and the delivery is sent again: delivery is at least once, and exactly
once whenever the worker that posted also records.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import structlog

from kommodore.db.database import Connection, Database
from kommodore.outbound import DestinationRefused, OutboundPolicy
from kommodore.settings import WebhookSettings
from kommodore.webhooks import store
from kommodore.webhooks.client import FormPoster
from kommodore.webhooks.outbox import NOTICE_USER_AGENT
from kommodore.webhooks.store import Claimed

log = structlog.get_logger("kommodore.webhooks")

RETRY_DELAYS = (300, 900, 900, 3600)
"""Seconds before attempts 2, 3, 4 and 5 (as Kommo names them)."""
BAD_WINDOW_MS = 2 * 3600 * 1000
BAD_LIMIT = 100
"""More bad answers than this within ``BAD_WINDOW_MS``, the latest bad: the hook is disabled."""
PURGE_EVERY_SECONDS = 60.0
PURGE_LIMIT = 1000
"""Rows one purge transaction deletes at most: purging never holds the outbox for long."""
PURGE_ROUNDS = 100
"""Transactions one purge runs at most, so a worker far over budget still delivers between."""
USER_AGENT = "kommodore-webhooks/1.0"


def is_good(status: int) -> bool:
    """100-299 is an answer Kommo accepts; anything else, no answer (0) included, is bad."""
    return 100 <= status <= 299


def retry_delay(attempts: int, status: int) -> int | None:
    """Seconds until the next attempt after ``attempts`` attempts, the last answered
    ``status``; None when there is none. Attempts 2 and 3 follow any bad answer (0-99 or
    >= 300); 4 and 5 only a 499 or a 5xx."""
    if is_good(status) or attempts > len(RETRY_DELAYS):
        return None
    if attempts <= 2 or status == 499 or 500 <= status <= 599:
        return RETRY_DELAYS[attempts - 1]
    return None


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery: Claimed
    status: int
    """The HTTP status; 0 when there was no answer (refused, reset, timed out)."""
    error: str | None


def notice_url(delivery: Claimed) -> str:
    """A revocation notice's URL: the integration's revocation URL, its own query kept, and
    the notice's (the stored body) after it."""
    separator = "&" if "?" in delivery.destination else "?"
    return f"{delivery.destination}{separator}{delivery.body or ''}"


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    """One delivery worker; :meth:`run` until its stop event is set."""

    def __init__(
        self,
        db: Database,
        settings: WebhookSettings,
        *,
        name: str | None = None,
        clock: Callable[[], float] = time.time,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.name = name or worker_name()
        self.clock = clock
        self.poster = FormPoster(
            USER_AGENT,
            max_idle_per_host=self.settings.batch_size,
            outbound=outbound or OutboundPolicy(),
        )
        self._last_purge = 0.0

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def aclose(self) -> None:
        await self.poster.aclose()

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> None:
        """Deliver until ``stop`` is set (a batch in flight is finished and recorded first);
        ``until_idle`` also stops when nothing is due."""
        while not stop.is_set():
            try:
                count = await self.run_once()
                await self._maybe_purge()
            except Exception:
                log.exception("webhook worker error", worker=self.name)
                count = 0
            if until_idle and count == 0:
                return
            if count < self.settings.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.poll_interval_seconds)

    async def run_once(self) -> int:
        """Claim one batch, post it, record the answers; the number claimed."""
        now_ms = self.now_ms()
        lease_ms = int(self.settings.lease_seconds * 1000)
        async with self.db.transaction() as conn:
            claimed = await store.claim(
                conn, now_ms, now_ms + lease_ms, self.name, self.settings.batch_size
            )
            live = await self._live(conn, claimed, now_ms)
        if live:
            outcomes = await asyncio.gather(*(self._post(d) for d in live))
            await self.record(outcomes)
        return len(claimed)

    async def _live(
        self, conn: Connection, claimed: Sequence[Claimed], now_ms: int
    ) -> list[Claimed]:
        """The claimed deliveries whose webhook is still there and enabled; the others fail
        now, unsent."""
        states: dict[tuple[int, int], str | None] = {}
        hooked = {(d.account_id, d.webhook_id) for d in claimed if d.kind == "webhook"}
        for key in sorted(hooked):
            state = await store.webhook_state(conn, *key)
            states[key] = "webhook deleted" if state is None else (
                "webhook disabled" if state.disabled else None
            )  # fmt: skip

        def reason(d: Claimed) -> str | None:
            return states.get((d.account_id, d.webhook_id)) or (
                "body purged" if d.body is None else None
            )

        dead = [
            (d.account_id, d.id, self.name, "failed", d.attempts, now_ms, None, why, None)
            for d in claimed
            if (why := reason(d)) is not None
        ]
        await store.finish(conn, dead)
        return [d for d in claimed if reason(d) is None]

    async def _post(self, delivery: Claimed) -> Outcome:
        """POST the body; the whole exchange must end within ``timeout_seconds``."""
        timeout = self.settings.timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                body = delivery.body or ""
                if delivery.kind == "revocation":
                    status = await self.poster.get(notice_url(delivery), NOTICE_USER_AGENT)
                else:
                    status = await self.poster.post(delivery.destination, body.encode())
        except TimeoutError:
            return Outcome(delivery, 0, f"no answer within {timeout:g} s")
        except DestinationRefused as exc:
            log.warning(
                "webhook destination refused", kind=delivery.kind,
                account_id=delivery.account_id,
                webhook_id=delivery.webhook_id, delivery_id=delivery.id, reason=exc.reason,
            )  # fmt: skip
            return Outcome(delivery, 0, str(exc)[:500])
        except Exception as exc:  # refused, reset, not HTTP, bad URL...: no answer
            return Outcome(delivery, 0, f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(delivery, status, None if is_good(status) else f"HTTP {status}")

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        """Mark each delivery delivered, due again (Kommo's retry schedule) or failed, and count the
        bad answers of each webhook, disabling it past the limit."""
        now_ms = self.now_ms()
        scale = self.settings.retry_scale
        rows: list[tuple[object, ...]] = []
        for o in outcomes:
            d, attempts = o.delivery, o.delivery.attempts + 1
            if is_good(o.status):
                rows.append(
                    (d.account_id, d.id, self.name, "delivered", attempts, now_ms, o.status, None,
                     now_ms // 1000)
                )  # fmt: skip
                continue
            delay = retry_delay(attempts, o.status)
            log.info(
                "webhook delivery failed", kind=d.kind,
                account_id=d.account_id, webhook_id=d.webhook_id, delivery_id=d.id,
                destination=d.destination,
                attempt=attempts, status=o.status, error=o.error,
                retry_in_seconds=None if delay is None else delay * scale,
            )  # fmt: skip
            status, due = (
                ("failed", now_ms)
                if delay is None
                else ("pending", now_ms + int(delay * scale * 1000))
            )
            rows.append(
                (d.account_id, d.id, self.name, status, attempts, due, o.status, o.error, None)
            )
        by_hook: dict[tuple[int, int], list[bool]] = {}
        for o in outcomes:
            if o.delivery.kind != "webhook":
                continue  # a notice has no webhook whose bad answers count
            by_hook.setdefault((o.delivery.account_id, o.delivery.webhook_id), []).append(
                is_good(o.status)
            )
        async with self.db.transaction() as conn:
            await store.finish(conn, rows)
            for key in sorted(by_hook):
                answers = by_hook[key]
                if all(answers):
                    continue
                await self._count_bad(conn, key, answers, now_ms)

    async def _count_bad(
        self, conn: Connection, key: tuple[int, int], answers: list[bool], now_ms: int
    ) -> None:
        state = await store.webhook_state(conn, *key)
        if state is None:
            return
        account_id, webhook_id = key
        disabled = state.disabled
        times = [t for t in state.bad_answers if t > now_ms - BAD_WINDOW_MS]
        times += [now_ms] * answers.count(False)
        times = times[-(BAD_LIMIT + 1) :]
        if not disabled and len(times) > BAD_LIMIT and not answers[-1]:
            disabled = True
            log.warning(
                "webhook disabled", account_id=account_id, webhook_id=webhook_id,
                bad_answers=len(times),
            )  # fmt: skip
        await store.set_webhook_state(conn, account_id, webhook_id, disabled, times)

    async def _maybe_purge(self) -> None:
        now = self.clock()
        if now - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        await self.purge()

    async def purge(self) -> None:
        """Keep the outbox within its budget, in transactions of at most ``PURGE_LIMIT`` rows:
        finished deliveries older than ``retention_days``; then, past ``outbox_max_deliveries``,
        the oldest finished ones and, if that is not enough, the oldest pending ones; then,
        past ``outbox_max_bytes``, the oldest bodies with their deliveries. Bodies go with
        their last delivery. Dropping undelivered deliveries is logged as a warning."""
        s = self.settings
        rounds = PURGE_ROUNDS
        if s.retention_days > 0:
            before_ms = int((self.clock() - s.retention_days * 86400) * 1000)
            while rounds > 0:
                rounds -= 1
                async with self.db.transaction() as conn:
                    if await store.purge_old(conn, before_ms, PURGE_LIMIT) < PURGE_LIMIT:
                        break
        async with self.db.connection() as conn:
            excess = await store.count_deliveries(conn) - s.outbox_max_deliveries
        undelivered = 0
        for finished in (True, False):
            while excess > 0 and rounds > 0:
                rounds -= 1
                async with self.db.transaction() as conn:
                    gone = await store.purge_oldest(
                        conn, min(excess, PURGE_LIMIT), finished=finished
                    )
                excess -= gone
                undelivered += 0 if finished else gone
                if gone == 0:
                    break
        async with self.db.connection() as conn:
            excess = await store.body_bytes(conn) - s.outbox_max_bytes
        while excess > 0 and rounds > 0:
            rounds -= 1
            async with self.db.transaction() as conn:
                freed, pending = await store.purge_oldest_bodies(conn, excess, PURGE_LIMIT)
            excess -= freed
            undelivered += pending
            if freed == 0:
                break
        async with self.db.transaction() as conn:
            await store.sweep_orphans(conn, PURGE_LIMIT)
        if undelivered:
            log.warning(
                "webhook outbox over budget", undelivered=undelivered,
                max_deliveries=s.outbox_max_deliveries, max_bytes=s.outbox_max_bytes,
            )  # fmt: skip


@contextlib.asynccontextmanager
async def _in_app(
    db: Database, settings: WebhookSettings, outbound: OutboundPolicy | None
) -> AsyncIterator[None]:
    if not settings.worker_in_process:
        yield
        return
    worker = Worker(db, settings, outbound=outbound)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="webhook-worker")
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            # a batch in flight ends within the receivers' timeout; then it is recorded
            await asyncio.wait_for(task, settings.timeout_seconds + 10)
        await worker.aclose()


def in_app(
    db: Database,
    settings: WebhookSettings,
    *,
    outbound: OutboundPolicy | None = None,
) -> AbstractAsyncContextManager[None]:
    """The worker as a background task of the server process, for the app's lifespan; does
    nothing when ``KOMMODORE_WEBHOOK_WORKER_IN_PROCESS=false``. ``outbound`` comes from the
    app's settings; without it only public destinations are reached."""
    return _in_app(db, settings, outbound)


async def run_worker(
    db: Database,
    settings: WebhookSettings,
    stop: asyncio.Event,
    *,
    until_idle: bool = False,
    outbound: OutboundPolicy | None = None,
) -> None:
    """The ``kommodore worker`` loop."""
    worker = Worker(db, settings, outbound=outbound)
    log.info("webhook worker started", worker=worker.name)
    try:
        await worker.run(stop, until_idle=until_idle)
    finally:
        await worker.aclose()
