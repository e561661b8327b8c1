"""The worker's claim, one account per locking statement (a shape Citus runs): fair across
accounts, never more than asked, never a delivery twice, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from kommodore.db import open_database
from kommodore.leads.outbox import LeadChange
from kommodore.webhooks import store
from tests.conftest import Backend
from tests.factories import Account, Factory
from tests.webhooks.helpers import add_webhook, enqueue

NOW = 1_000_000_000
"""Long before anything else the session's database queues: only this module's deliveries are
due at ``LATER_MS``, whatever other tests left in the outbox."""
LATER_MS = (NOW + 60) * 1000
LEASE_MS = LATER_MS + 60_000


@pytest.fixture
def accounts(factory: Factory) -> Iterator[list[Account]]:
    """Three accounts whose deliveries go when the test ends (their due time is past for any
    real worker of a later test)."""
    made = [factory.account() for _ in range(3)]
    yield made
    for account in made:
        factory.execute("DELETE FROM webhook_deliveries WHERE account_id = :a", a=account.id)


@pytest.mark.parametrize(
    ("due", "limit", "expected"),
    [
        ([(1, 30), (2, 2), (3, 1)], 10, {1: 7, 2: 2, 3: 1}),
        ([(1, 100), (2, 100), (3, 100), (4, 100)], 10, {1: 3, 2: 3, 3: 2, 4: 2}),
        ([(1, 3)], 10, {1: 3}),
        ([(1, 5), (2, 5), (3, 5)], 3, {1: 1, 2: 1, 3: 1}),
        ([], 10, {}),
    ],
)
def test_shares_split_a_batch_evenly_and_pass_on_what_is_unused(
    due: list[tuple[int, int]], limit: int, expected: dict[int, int]
) -> None:
    assert store.shares(due, limit) == expected


def _queue(backend: Backend, factory: Factory, account: Account, count: int, at: int) -> None:
    add_webhook(factory, account, "http://127.0.0.1:9/hook", ["add_lead"])
    leads = [factory.lead(account) for _ in range(count)]
    enqueue(backend.url, account.id, *([LeadChange(lead, "add")] for lead in leads), now=at)


def _claim(backend: Backend, limit: int, *, overlapping: bool = False) -> list[list[store.Claimed]]:
    """One claim, or (PostgreSQL) two claims whose transactions overlap: the second runs
    while the first still holds its row locks."""

    async def run() -> list[list[store.Claimed]]:
        db = await open_database(backend.url)
        try:
            async with db.transaction() as first:
                one = await store.claim(first, LATER_MS, LEASE_MS, "one", limit)
                if not overlapping:
                    return [one]
                async with db.transaction() as second:
                    two = await store.claim(second, LATER_MS, LEASE_MS, "two", limit)
            return [one, two]
        finally:
            await db.close()

    return asyncio.run(run())


def test_a_backlog_does_not_starve_the_other_accounts(
    backend: Backend, factory: Factory, accounts: list[Account]
) -> None:
    """The flooding account queued first, the others after: one batch serves all three, the
    backlog taking only what the others leave."""
    flood, small, single = accounts
    _queue(backend, factory, flood, 30, NOW)
    _queue(backend, factory, small, 2, NOW + 1)
    _queue(backend, factory, single, 1, NOW + 2)
    mine = {flood.id, small.id, single.id}
    [batch] = _claim(backend, 10)
    by_account = {a: sum(1 for d in batch if d.account_id == a) for a in mine}
    assert by_account == {flood.id: 7, small.id: 2, single.id: 1}
    assert len({(d.account_id, d.id) for d in batch}) == 10
    # claimed rows are leased: the next batch takes the flood's next ones, oldest first
    [batch] = _claim(backend, 10)
    assert {d.account_id for d in batch} == {flood.id} and len(batch) == 10
    seen = sorted(d.id for d in batch)
    [batch] = _claim(backend, 100)
    assert len(batch) == 13 and not {d.id for d in batch} & set(seen)
    assert _claim(backend, 100) == [[]]


def test_overlapping_claims_take_disjoint_deliveries(
    backend: Backend, factory: Factory, accounts: list[Account]
) -> None:
    """Two claimers at once on one account (PostgreSQL: the second skips the rows the first
    holds, and never takes more than it asked even when most rows are locked)."""
    if backend.name != "postgresql":
        pytest.skip("SQLite lets one claimer in at a time (BEGIN IMMEDIATE)")
    account = accounts[0]
    _queue(backend, factory, account, 12, NOW)
    one, two = _claim(backend, 5, overlapping=True)
    assert len(one) == 5 and len(two) == 5
    assert not {d.id for d in one} & {d.id for d in two}
    [rest] = _claim(backend, 5)
    assert len(rest) == 2
