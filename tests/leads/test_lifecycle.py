"""Deleting and restoring leads: the service (one transaction for the lead, its event and its
webhook) and ``kommodore lead delete|restore``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kommodore.cli import main as cli
from kommodore.db import open_database
from kommodore.db.database import Connection
from kommodore.leads import lifecycle
from kommodore.leads.outbox import LeadChange
from tests.conftest import Backend
from tests.events.helpers import auth, event_body
from tests.factories import Factory


@pytest.fixture
def env(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Backend:
    monkeypatch.setenv("KOMMODORE_DATABASE_URL", backend.url)
    monkeypatch.setenv("KOMMODORE_DATA_DIR", str(backend.data_dir))
    monkeypatch.setenv("KOMMODORE_BASE_DOMAIN", "kommo.test")
    return backend


def state(client: TestClient, token: str, lead_id: int) -> tuple[bool, list[dict[str, Any]]]:
    """(is deleted, its events newest first), read through the API."""
    live = client.get(f"/api/v4/leads/{lead_id}", headers=auth(token)).status_code == 200
    response = client.get(
        f"/api/v4/events?filter[entity]=lead&filter[entity_id]={lead_id}", headers=auth(token)
    )
    events = [] if response.status_code == 204 else response.json()["_embedded"]["events"]
    return (not live, events)


def run_service(backend: Backend, account_id: int, ids: Sequence[int], actor: int, op: Any) -> Any:
    async def run() -> Any:
        db = await open_database(backend.url)
        try:
            async with db.transaction() as conn:
                return await lifecycle.change_deletion(
                    conn, account_id, ids, actor, op, 1_700_000_000
                )
        finally:
            await db.close()

    return asyncio.run(run())


class TestService:
    def test_changes_events_and_webhooks_in_one_call(self, client, factory, backend, monkeypatch):
        account = factory.account()
        token = factory.token(account, account.admin)
        a, b = factory.lead(account), factory.lead(account)
        queued: list[tuple[int, list[LeadChange], int]] = []
        real = lifecycle.enqueue_lead_changes

        async def spy(conn: Connection, account_id: int, changes: Any, now: int) -> None:
            queued.append((account_id, list(changes), now))
            await real(conn, account_id, changes, now)

        monkeypatch.setattr(lifecycle, "enqueue_lead_changes", spy)
        changed = run_service(backend, account.id, [b, a, b], account.admin, "delete")
        assert changed == [b, a]
        assert queued == [(account.id, [LeadChange(b, "delete"), LeadChange(a, "delete")],
                           1_700_000_000)]  # fmt: skip
        for lead in (a, b):
            deleted, events = state(client, token, lead)
            assert deleted
            assert events == [event_body(account.id, events[0]["id"], "lead_deleted", lead,
                                         account.admin, 1_700_000_000, [], [])]  # fmt: skip

    def test_a_failing_webhook_queue_rolls_everything_back(
        self, client, factory, backend, monkeypatch
    ):
        account = factory.account()
        token = factory.token(account, account.admin)
        lead = factory.lead(account)

        async def boom(*_: Any) -> None:
            raise RuntimeError("outbox unavailable")

        monkeypatch.setattr(lifecycle, "enqueue_lead_changes", boom)
        with pytest.raises(RuntimeError):
            run_service(backend, account.id, [lead], account.admin, "delete")
        assert state(client, token, lead) == (False, [])


class TestCommand:
    def test_delete_and_restore(self, env, client, factory: Factory):
        account = factory.account()
        token = factory.token(account, account.admin)
        a, b = factory.lead(account), factory.lead(account)
        result = CliRunner().invoke(cli, ["lead", "delete", "--subdomain", account.subdomain,
                                          str(a), str(b)])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert result.stderr == f"deleted 2 lead(s): {a}, {b}\n"
        for lead in (a, b):
            deleted, events = state(client, token, lead)
            assert deleted
            assert [(e["type"], e["created_by"]) for e in events] == [
                ("lead_deleted", account.admin)
            ]
        user = factory.user(account)
        result = CliRunner().invoke(cli, ["lead", "restore", "--subdomain", account.subdomain,
                                          "--user", str(user), str(b)])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert result.stderr == f"restored 1 lead(s): {b}\n"
        deleted, events = state(client, token, b)
        assert not deleted
        assert [(e["type"], e["created_by"]) for e in events] == [
            ("lead_restored", user),
            ("lead_deleted", account.admin),
        ]
        body = client.get(f"/api/v4/leads/{b}", headers=auth(token)).json()
        assert body["updated_by"] == user
        assert state(client, token, a)[0]

    def test_refusals_change_nothing(self, env, client, factory: Factory):
        account = factory.account()
        token = factory.token(account, account.admin)
        live = factory.lead(account)
        gone = factory.lead(account, is_deleted=True)
        foreign = factory.lead(factory.account())
        cases = [
            (["delete", str(live), str(foreign)], f"Error: Lead not found: {foreign}"),
            (["delete", str(live), str(gone)], f"Error: Lead is already deleted: {gone}"),
            (["restore", str(live)], f"Error: Lead is not deleted: {live}"),
            (["delete", "--user", "424242424242", str(live)],
             f"Error: no user 424242424242 in {account.subdomain!r}"),
        ]  # fmt: skip
        for args, message in cases:
            result = CliRunner().invoke(
                cli, ["lead", args[0], "--subdomain", account.subdomain, *args[1:]]
            )
            assert result.exit_code == 1, result.output
            assert result.stdout == ""
            assert result.stderr.startswith(message)
        assert state(client, token, live) == (False, [])
        assert state(client, token, gone) == (True, [])
        result = CliRunner().invoke(cli, ["lead", "delete", "--subdomain", "nope-nope", "1"])
        assert result.exit_code == 1
        assert result.stderr == "Error: no account with subdomain 'nope-nope'\n"

    @pytest.mark.parametrize("args", [[], ["0"], ["x"]])
    def test_usage_errors(self, env, factory: Factory, args):
        account = factory.account()
        result = CliRunner().invoke(cli, ["lead", "delete", "--subdomain", account.subdomain,
                                          *args])  # fmt: skip
        assert result.exit_code == 2
        assert result.stdout == ""
