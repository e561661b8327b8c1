"""The outbox's size: a batch's body is stored once however many webhooks it goes to, and the
worker's purge keeps the outbox within its age, row and byte budget under sustained writes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from kommodore.db import open_database
from kommodore.leads.outbox import LeadChange, enqueue_lead_changes
from kommodore.webhooks.worker import Worker
from tests.conftest import Backend
from tests.factories import Account, Factory
from tests.webhooks.helpers import (
    LOOPBACK,
    Clock,
    add_webhook,
    deliveries,
    enqueue,
    run_once,
    settings,
)

ALL = ("add_lead", "update_lead", "status_lead", "responsible_lead", "delete_lead", "restore_lead")
HOOKS = 22
SUBSCRIPTIONS: list[Sequence[str]] = [
    ALL,
    ("add_lead",),
    ("update_lead",),
    ("add_lead", "update_lead"),
]


def _text_bytes(factory: Factory, account: Account | None = None) -> tuple[int, int]:
    """(rows, characters of text) in the outbox's tables, whatever columns they have today: a
    measure that holds before and after the body moved out of the deliveries."""
    inspector = sa.inspect(factory.engine)
    rows = chars = 0
    for table in ("webhook_deliveries", "webhook_bodies"):
        if not inspector.has_table(table):
            continue
        columns = [
            c["name"] for c in inspector.get_columns(table)
            if isinstance(c["type"], sa.String | sa.Text)
        ]  # fmt: skip
        total = " + ".join(f"COALESCE(LENGTH({c}), 0)" for c in columns)
        where = "" if account is None else " WHERE account_id = :a"
        params = {} if account is None else {"a": account.id}
        with factory.engine.connect() as conn:
            n, size = conn.execute(
                sa.text(f"SELECT count(*), COALESCE(SUM({total}), 0) FROM {table}{where}"),  # noqa: S608 (table and column names from the schema)
                params,
            ).one()
        rows, chars = rows + int(n), chars + int(size)
    return rows, chars


def _hooks(factory: Factory, account: Account) -> list[int]:
    return [
        add_webhook(factory, account, f"https://hooks{i}.example.com/k",
                    SUBSCRIPTIONS[i % len(SUBSCRIPTIONS)])
        for i in range(HOOKS)
    ]  # fmt: skip


def test_a_batch_body_is_stored_once_for_every_webhook(backend: Backend, factory: Factory):
    account = factory.account()
    _hooks(factory, account)
    leads = [factory.lead(account, name="L" * 200) for _ in range(40)]
    enqueue(
        backend.url, account.id,
        [*(LeadChange(lead, "add") for lead in leads),
         *(LeadChange(lead, "update") for lead in leads)],
    )  # fmt: skip
    rows = deliveries(factory, account)
    assert len(rows) == HOOKS
    widest = max(len(r["body"]) for r in rows)
    assert widest > 40 * 200 * 2  # every lead, under add and under update
    # every webhook got its own actions' body (the bytes are checked in test_outbox.py)
    assert len({r["body"] for r in rows}) == 3
    _, stored = _text_bytes(factory, account)
    # the batch's items are stored once; each delivery adds its destination and little else
    assert stored < widest + HOOKS * 200, (stored, widest)


def _writes(url: str, account_id: int, leads: list[int], batches: int, first: int) -> None:
    async def run() -> None:
        db = await open_database(url)
        try:
            for n in range(batches):
                async with db.transaction() as conn:
                    changes = [LeadChange(lead, "update" if n % 2 else "add") for lead in leads]
                    await enqueue_lead_changes(conn, account_id, changes, first + n)
        finally:
            await db.close()

    asyncio.run(run())


def _purge(url: str, **values: Any) -> list[dict[str, Any]]:
    async def run() -> None:
        db = await open_database(url)
        worker = Worker(db, settings(**values), outbound=LOOPBACK)
        try:
            await worker.purge()
        finally:
            await worker.aclose()
            await db.close()

    with capture_logs() as logs:
        asyncio.run(run())
    return logs


def _body_chars(factory: Factory) -> int:
    with factory.engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT COALESCE(SUM(size), 0) FROM webhook_bodies")).one()[0]
        )


def test_the_outbox_stays_within_its_budget_under_sustained_writes(
    backend: Backend, factory: Factory
):
    """22 webhooks, batch after batch, nothing delivered: after each purge the installation's
    outbox holds at most the budget's rows and body bytes; the oldest go first, and dropping
    undelivered ones says so in the log."""
    account = factory.account()
    hooks = _hooks(factory, account)
    leads = [factory.lead(account, name="N" * 100) for _ in range(5)]
    budget = {"outbox_max_deliveries": 600, "outbox_max_bytes": 60_000, "retention_days": 7}
    logged: list[dict[str, Any]] = []
    for round_ in range(6):
        _writes(backend.url, account.id, leads, 20, 1_700_000_000 + round_ * 20)
        logged += _purge(backend.url, **budget)
        deliveries_left = len(deliveries(factory, account))
        assert deliveries_left <= 600
        with factory.engine.connect() as conn:
            total = conn.execute(sa.text("SELECT count(*) FROM webhook_deliveries")).one()[0]
        assert total <= 600
        assert _body_chars(factory) <= 60_000
    # the newest batch is whole; the oldest are gone
    left = deliveries(factory, account)
    newest = [r for r in left if r["body_id"] == left[-1]["body_id"]]
    updating = {h for i, h in enumerate(hooks) if "update_lead" in SUBSCRIPTIONS[i % 4]}
    assert {r["webhook_id"] for r in newest} == updating  # the last batch is an update
    assert left[0]["created_at"] > 1_700_000_000
    dropped = [e for e in logged if e["event"] == "webhook outbox over budget"]
    assert dropped and all(e["log_level"] == "warning" and e["undelivered"] > 0 for e in dropped)
    # no body is left without a delivery
    with factory.engine.connect() as conn:
        orphans = conn.execute(sa.text(
            "SELECT count(*) FROM webhook_bodies b WHERE NOT EXISTS (SELECT 1 FROM "
            "webhook_deliveries d WHERE d.account_id = b.account_id AND d.body_id = b.id)"
        )).one()[0]  # fmt: skip
    assert orphans == 0


def test_delivered_rows_go_before_undelivered_ones(backend: Backend, factory: Factory):
    """Over the row budget, finished rows go first, oldest first (the whole installation's:
    earlier tests' rows, all finished, go before these)."""
    account = factory.account()
    add_webhook(factory, account, "https://hooks.example.com/a", ["add_lead", "update_lead"])
    lead = factory.lead(account)
    _writes(backend.url, account.id, [lead], 10, int(time.time()))  # not old enough for age
    ids = [r["id"] for r in deliveries(factory, account)]
    assert len(ids) == 10
    # the newest five were delivered; the oldest five are still pending
    factory.execute(
        "UPDATE webhook_deliveries SET status = 'delivered' WHERE account_id = :a AND id >= :i",
        a=account.id, i=ids[5],
    )  # fmt: skip
    logs = _purge(backend.url, outbox_max_deliveries=7)
    left = deliveries(factory, account)
    assert [r["id"] for r in left] == ids[:5] + ids[8:]
    assert not [e for e in logs if e["event"] == "webhook outbox over budget"]
    with factory.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM webhook_deliveries")).one()[0] == 7


def test_old_finished_rows_are_purged_by_age(backend: Backend, factory: Factory):
    account = factory.account()
    add_webhook(factory, account, "https://hooks.example.com/a", ["add_lead", "update_lead"])
    _writes(backend.url, account.id, [factory.lead(account)], 3, 1_700_000_000)
    ids = [r["id"] for r in deliveries(factory, account)]
    factory.execute(
        "UPDATE webhook_deliveries SET status = 'failed', next_attempt_ms = 1000 "
        "WHERE account_id = :a AND id = :i",
        a=account.id, i=ids[0],
    )  # fmt: skip
    _purge(backend.url, retention_days=1)
    assert [r["id"] for r in deliveries(factory, account)] == ids[1:]


def test_a_delivery_whose_body_was_purged_fails_unsent(backend: Backend, factory: Factory):
    """Defensive: the foreign key keeps a delivery's body while the delivery exists, so only
    SQLite without foreign keys (the tests' own connections) can make this state; a delivery
    without its body fails, never posts an empty body."""
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL's foreign key refuses the state this test needs")
    account = factory.account()
    add_webhook(factory, account, "https://hooks.example.com/a", ["add_lead"])
    enqueue(backend.url, account.id, [LeadChange(factory.lead(account), "add")])
    (row,) = deliveries(factory, account)
    factory.execute(
        "UPDATE webhook_deliveries SET body_id = 1 WHERE account_id = :a AND id = :i",
        a=account.id, i=row["id"],
    )  # fmt: skip
    assert run_once(backend.url, settings(), Clock(time.time())) == 1
    (row,) = deliveries(factory, account)
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 0, "body purged")
