"""Resets and snapshots, with their rules: names, the demo account a reset may bring back, and
the gate that keeps in-flight requests out of a half-changed state."""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass

from kommodore.control import store
from kommodore.control.gate import StateGate
from kommodore.control.seed.document import SeedDocument
from kommodore.control.seed.export import export
from kommodore.control.seed.load import SeededAccount, TokenIssuer, load
from kommodore.control.seed.parse import SeedError
from kommodore.control.store import NAME, SnapshotInfo, SnapshotMissing
from kommodore.db.database import Database
from kommodore.webhooks import store as webhooks
from kommodore.webhooks.store import Delivery

MAX_DEMO_LEADS = 100_000
MAX_SEED = 2**31 - 1
"""A demo's seed names its cached snapshot, so it stays a short number."""


_BEFORE_SEED = ".before-seed"
"""The state a ``reset`` seed started from, kept until the seed is in."""


class BadName(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class DemoState:
    """What a reset to the demo account left: its id, subdomain and lead count."""

    account_id: int
    subdomain: str
    leads: int
    users: dict[str, int]


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise BadName(
            "a snapshot name is 1 to 64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return name


def _demo_name(seed: int, leads: int) -> str:
    return f".demo-{seed}-{leads}"


class Control:
    """The control plane's actions on one database. ``gate`` is the app's state gate (none for
    the CLI, which runs beside the server rather than inside it)."""

    def __init__(self, db: Database, gate: StateGate | None = None) -> None:
        self.db = db
        self._state_gate = gate

    def _gate(self) -> AbstractAsyncContextManager[None]:
        return self._state_gate.exclusive() if self._state_gate else nullcontext()

    async def reset(self, *, demo: bool, seed: int = 1, leads: int = 2000) -> DemoState | None:
        """Empty everything, or bring back the demo account of ``seed`` and ``leads``: built
        once (seconds), then kept as a hidden snapshot, so later resets take a restore."""
        async with self._gate():
            if not demo:
                await store.wipe(self.db)
                return None
            name = _demo_name(seed, leads)
            try:
                await store.restore(self.db, name)
            except (SnapshotMissing, store.SnapshotIncompatible):
                await store.wipe(self.db)
                await self._build_demo(seed, leads)
                await store.save(self.db, name)
            return await asyncio.to_thread(self._demo_state)

    async def _build_demo(self, seed: int, leads: int) -> None:
        from kommodore.demo.generator import create_demo

        await asyncio.to_thread(create_demo, self.db.url, "demo", leads, seed)

    def _demo_state(self) -> DemoState:
        from kommodore.demo.generator import create_demo

        summary = create_demo(self.db.url, "demo")  # the account exists: only reads it
        return DemoState(summary.account_id, summary.subdomain, summary.leads, summary.users)

    async def seed(
        self, doc: SeedDocument, issuer: TokenIssuer, *, reset: bool = False
    ) -> list[SeededAccount]:
        """Write a seed document, all or nothing; with ``reset``, into an empty state (and on a
        refused document, the state from before the reset comes back)."""
        async with self._gate():
            if reset:
                await store.save(self.db, _BEFORE_SEED)
                await store.wipe(self.db)
            try:
                async with self.db.transaction() as conn:
                    return await load(conn, doc, issuer, int(time.time()))
            except SeedError:
                if reset:
                    await store.restore(self.db, _BEFORE_SEED)
                raise
            finally:
                if reset:
                    await store.delete(self.db, _BEFORE_SEED)

    async def export(
        self, *, subdomain: str | None = None, account_id: int | None = None
    ) -> SeedDocument:
        async with self.db.connection() as conn:
            return await export(
                conn, subdomain=subdomain, account_id=account_id, now=int(time.time())
            )

    async def save(self, name: str) -> SnapshotInfo:
        async with self._gate():
            return await store.save(self.db, check_name(name))

    async def restore(self, name: str) -> None:
        async with self._gate():
            await store.restore(self.db, check_name(name))

    async def delete(self, name: str) -> bool:
        return await store.delete(self.db, check_name(name))

    async def snapshots(self) -> list[SnapshotInfo]:
        return await store.snapshots(self.db)

    async def deliveries(
        self,
        *,
        account_id: int | None = None,
        status: str | None = None,
        delivery_id: int | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        async with self.db.connection() as conn:
            return await webhooks.deliveries(
                conn, account_id=account_id, status=status, delivery_id=delivery_id, limit=limit
            )

    async def retry_delivery(self, delivery_id: int) -> Delivery | None:
        """Due now, for the worker's next turn (within its poll interval); None if unknown."""
        async with self.db.transaction() as conn:
            if not await webhooks.retry_delivery(conn, delivery_id, int(time.time() * 1000)):
                return None
        found = await self.deliveries(delivery_id=delivery_id, limit=1)
        return found[0] if found else None
