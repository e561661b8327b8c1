"""Disabling an integration or removing it from an account: every token 401 at once, and the
revocation notice Kommo sends to the integration's URL queued in the same transaction (its
delivery, retries and destination checks: tests/webhooks/test_revocation_notices.py)."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.db.database import Database
from kommodore.integrations import service as integrations
from kommodore.integrations.service import Revocation
from kommodore.integrations.store import Integration
from tests.factories import Account, Factory
from tests.oauth.helpers import (
    CLIENT_FAILED,
    UNAUTHORIZED_API,
    code_for,
    exchange,
    get_lead,
    make_integration,
    oauth_error,
    receiver,
    refresh,
    revoked_token,
    run,
)


def _disable(client: TestClient, integration_id: str) -> Revocation | None:
    async def work(db: Database) -> Revocation | None:
        return await integrations.disable_and_notify(db, integration_id, int(time.time()))

    return run(client, work)


def _remove(client: TestClient, account: Account, integration_id: str) -> Revocation | None:
    async def work(db: Database) -> Revocation | None:
        return await integrations.remove_and_notify(
            db, account.id, integration_id, int(time.time())
        )

    return run(client, work)


def _signature(client_id: str, secret: str, account_id: int) -> str:
    return hmac.new(
        secret.encode(), f"{client_id}|{account_id}".encode(), hashlib.sha256
    ).hexdigest()


def _notices(factory: Factory, account_ids: list[int]) -> list[dict[str, Any]]:
    """The queued notices of these accounts: the outbox rows and their bodies."""
    rows = []
    with factory.engine.begin() as conn:
        for account_id in account_ids:
            found = conn.execute(
                sa.text(
                    "SELECT d.account_id, d.webhook_id, d.kind, d.destination, d.status, "
                    "d.attempts, b.head AS body FROM webhook_deliveries d JOIN webhook_bodies b "
                    "ON b.account_id = d.account_id AND b.id = d.body_id "
                    "WHERE d.account_id = :a ORDER BY d.id"
                ),
                {"a": account_id},
            ).mappings()
            rows += [dict(r) for r in found]
    return rows


def _notice(integration: Integration, account_id: int) -> dict[str, Any]:
    signature = _signature(integration.id, integration.secret, account_id)
    return {
        "account_id": account_id, "webhook_id": 0, "kind": "revocation",
        "destination": integration.revocation_url, "status": "pending", "attempts": 0,
        "body": f"client_uuid={integration.id}&account_id={account_id}&signature={signature}",
    }  # fmt: skip


def test_disabling_revokes_every_token_and_notifies(client: TestClient, factory: Factory):
    first, second = factory.account(), factory.account()
    leads = {first.id: factory.lead(first), second.id: factory.lead(second)}
    unrelated = factory.token(first, first.admin)  # another integration's token
    with receiver() as notices:
        integration = make_integration(client, revocation_url=notices.url)
        bystander = make_integration(client)
        pairs = {
            a.id: exchange(client, integration, code_for(client, a, integration)).json()
            for a in (first, second)
        }
        other_pair = exchange(client, bystander, code_for(client, first, bystander)).json()
        pending = code_for(client, first, integration)
        for a in (first, second):
            assert get_lead(client, leads[a.id], pairs[a.id]["access_token"]).status_code == 200

        revocation = _disable(client, integration.id)

        assert revocation is not None
        assert revocation.account_ids == sorted([first.id, second.id])
        assert revocation.notices_queued == 2
        accounts = sorted([first.id, second.id])
        assert _notices(factory, accounts) == [_notice(integration, a) for a in accounts]
        assert notices.requests == []  # the delivery worker sends them
    for a in (first, second):
        denied = get_lead(client, leads[a.id], pairs[a.id]["access_token"])
        assert denied.status_code == 401 and denied.json() == UNAUTHORIZED_API
        again = refresh(client, integration, pairs[a.id]["refresh_token"])
        assert again.status_code == 401 and again.json() == CLIENT_FAILED
    assert exchange(client, integration, pending).json() == CLIENT_FAILED
    # other integrations are untouched
    assert get_lead(client, leads[first.id], other_pair["access_token"]).status_code == 200
    assert get_lead(client, leads[first.id], unrelated).status_code == 200
    # a second disable finds nothing to do
    assert _disable(client, integration.id) is None
    assert _disable(client, "not-a-uuid") is None


def test_the_database_state_alone_refuses_tokens(client: TestClient, factory: Factory):
    """Authentication reads the integration's state in its one statement: a token minted while
    an integration was being disabled (so not revoked by it) is refused too."""
    account = factory.account()
    lead_id = factory.lead(account)
    integration = make_integration(client)
    pair = exchange(client, integration, code_for(client, account, integration)).json()

    factory.execute("UPDATE integrations SET disabled_at = 1 WHERE id = :i", i=integration.id)
    assert get_lead(client, lead_id, pair["access_token"]).json() == UNAUTHORIZED_API
    factory.execute("UPDATE integrations SET disabled_at = NULL WHERE id = :i", i=integration.id)
    assert get_lead(client, lead_id, pair["access_token"]).status_code == 200

    factory.execute(
        "UPDATE account_integrations SET removed_at = 1 WHERE account_id = :a", a=account.id
    )
    assert get_lead(client, lead_id, pair["access_token"]).json() == UNAUTHORIZED_API
    factory.execute("DELETE FROM account_integrations WHERE account_id = :a", a=account.id)
    assert get_lead(client, lead_id, pair["access_token"]).json() == UNAUTHORIZED_API


def test_removing_from_one_account(client: TestClient, factory: Factory):
    first, second = factory.account(), factory.account()
    lead_first, lead_second = factory.lead(first), factory.lead(second)
    with receiver() as notices:
        integration = make_integration(client, revocation_url=notices.url)
        mine = exchange(client, integration, code_for(client, first, integration)).json()
        theirs = exchange(client, integration, code_for(client, second, integration)).json()

        revocation = _remove(client, first, integration.id)

        assert revocation is not None and revocation.account_ids == [first.id]
        assert revocation.notices_queued == 1
        assert _notices(factory, [first.id, second.id]) == [_notice(integration, first.id)]
        assert _remove(client, first, integration.id) is None  # not installed any more
        assert len(_notices(factory, [first.id, second.id])) == 1
    assert get_lead(client, lead_first, mine["access_token"]).json() == UNAUTHORIZED_API
    assert refresh(client, integration, mine["refresh_token"]).json() == revoked_token(
        "Token has been revoked"
    )
    assert get_lead(client, lead_second, theirs["access_token"]).status_code == 200
    assert refresh(client, integration, theirs["refresh_token"]).status_code == 200

    # installing again needs a new consent: the old tokens stay revoked
    fresh = exchange(client, integration, code_for(client, first, integration)).json()
    assert get_lead(client, lead_first, fresh["access_token"]).status_code == 200
    assert get_lead(client, lead_first, mine["access_token"]).json() == UNAUTHORIZED_API
    assert refresh(client, integration, mine["refresh_token"]).json() == revoked_token(
        "Token has been revoked"
    )


def test_a_receiver_that_is_down_never_fails_the_revocation(client: TestClient, factory: Factory):
    account = factory.account()
    lead_id = factory.lead(account)
    with receiver() as gone:
        closed_url = gone.url  # nothing listens there once the block ends
    integration = make_integration(client, revocation_url=closed_url)
    pair = exchange(client, integration, code_for(client, account, integration)).json()
    revocation = _disable(client, integration.id)
    assert revocation is not None
    assert (revocation.account_ids, revocation.notices_queued) == ([account.id], 1)
    assert get_lead(client, lead_id, pair["access_token"]).json() == UNAUTHORIZED_API
    assert _notices(factory, [account.id]) == [_notice(integration, account.id)]


def test_no_revocation_url_sends_nothing(client: TestClient, factory: Factory):
    account = factory.account()
    integration = make_integration(client)
    exchange(client, integration, code_for(client, account, integration))
    revocation = _disable(client, integration.id)
    assert revocation is not None
    assert revocation.account_ids == [account.id] and revocation.notices_queued == 0
    assert _notices(factory, [account.id]) == []


def test_refresh_after_disable_and_code_of_disabled(client: TestClient, factory: Factory):
    account = factory.account()
    integration = make_integration(client)
    code = code_for(client, account, integration)
    _disable(client, integration.id)
    response = exchange(client, integration, code)
    assert response.status_code == 401
    assert response.json() == oauth_error(
        401, "Client authentication failed", "Client authentication failed"
    )
