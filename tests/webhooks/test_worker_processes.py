"""Two ``kommodore worker`` processes on one outbox deliver each message exactly once: claims
are atomic across processes (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite's single writer)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from urllib.parse import parse_qsl

from kommodore.leads.outbox import LeadChange
from tests.conftest import Backend
from tests.factories import Factory
from tests.webhooks.helpers import Receiver, add_webhook, deliveries, enqueue

MESSAGES = 200


def test_two_worker_processes_deliver_each_message_once(backend: Backend, factory: Factory) -> None:
    receiver = Receiver(hang=0.02)  # slow enough that both workers get a share
    try:
        account = factory.account()
        add_webhook(factory, account, receiver.url, ["add_lead"])
        leads = [factory.lead(account) for _ in range(MESSAGES)]
        enqueue(backend.url, account.id, *([LeadChange(lead, "add")] for lead in leads))
        env = dict(os.environ)
        env.update(
            KOMMODORE_DATABASE_URL=backend.url,
            KOMMODORE_DATA_DIR=str(backend.data_dir),
            KOMMODORE_LOG_LEVEL="warning",
            KOMMODORE_OUTBOUND_ALLOW_LOOPBACK="true",  # the receiver is on 127.0.0.1
            KOMMODORE_WEBHOOK_BATCH_SIZE="5",
            KOMMODORE_WEBHOOK_POLL_INTERVAL_SECONDS="0.05",
        )
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "kommodore", "worker", "--until-idle"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        for worker in workers:
            output, _ = worker.communicate(timeout=120)
            assert worker.returncode == 0, output.decode()
        received = receiver.wait_for(MESSAGES)
        ids = Counter(dict(parse_qsl(r.body.decode()))["leads[add][0][id]"] for r in received)
        assert ids == Counter({str(lead): 1 for lead in leads})
        assert len(receiver.requests) == MESSAGES
        rows = deliveries(factory, account)
        assert {(row["status"], row["attempts"]) for row in rows} == {("delivered", 1)}
        assert len({row["claimed_by"] for row in rows}) == 2, "both workers took a share"
    finally:
        receiver.close()
