"""Disabling an integration or removing it from an account: every token 401 at once, and the
revocation notice Kommo sends to the integration's URL."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time

from starlette.testclient import TestClient

from kommodore.db.database import Database
from kommodore.integrations import service as integrations
from kommodore.integrations.service import Revocation
from kommodore.outbound import OutboundPolicy
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

LOOPBACK = OutboundPolicy(allow_loopback=True)
"""The notices' receiver listens on 127.0.0.1: allowed explicitly, on both databases."""


def _disable(client: TestClient, integration_id: str) -> Revocation | None:
    async def work(db: Database) -> Revocation | None:
        return await integrations.disable_and_notify(
            db, integration_id, int(time.time()), outbound=LOOPBACK
        )

    return run(client, work)


def _remove(client: TestClient, account: Account, integration_id: str) -> Revocation | None:
    async def work(db: Database) -> Revocation | None:
        return await integrations.remove_and_notify(
            db, account.id, integration_id, int(time.time()), outbound=LOOPBACK
        )

    return run(client, work)


def _signature(client_id: str, secret: str, account_id: int) -> str:
    return hmac.new(
        secret.encode(), f"{client_id}|{account_id}".encode(), hashlib.sha256
    ).hexdigest()


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
        assert revocation.notices_delivered == 2
        assert notices.requests == [
            {"method": "GET", "path": "/amo/revoked",
             "query": {"client_uuid": [integration.id], "account_id": [str(a)],
                       "signature": [_signature(integration.id, integration.secret, a)]},
             "user_agent": "amoService-oAuth-Code-Sender/1.0"}
            for a in sorted([first.id, second.id])
        ]  # fmt: skip
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
        assert [r["query"]["account_id"] for r in notices.requests] == [[str(first.id)]]
        assert notices.requests[0]["query"]["signature"] == [
            _signature(integration.id, integration.secret, first.id)
        ]
        assert _remove(client, first, integration.id) is None  # not installed any more
        assert len(notices.requests) == 1
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


def test_a_failing_notice_never_fails_the_revocation(client: TestClient, factory: Factory):
    account = factory.account()
    lead_id = factory.lead(account)
    with receiver() as gone:
        closed_url = gone.url  # nothing listens there once the block ends
    with receiver(status=500) as refusing:
        for url in (refusing.url, closed_url):
            integration = make_integration(client, revocation_url=url)
            pair = exchange(client, integration, code_for(client, account, integration)).json()
            revocation = _disable(client, integration.id)
            assert revocation is not None
            assert revocation.account_ids == [account.id]
            assert revocation.notices_delivered == 0
            assert get_lead(client, lead_id, pair["access_token"]).json() == UNAUTHORIZED_API
        assert len(refusing.requests) == 1


def test_no_revocation_url_sends_nothing(client: TestClient, factory: Factory):
    account = factory.account()
    integration = make_integration(client)
    exchange(client, integration, code_for(client, account, integration))
    revocation = _disable(client, integration.id)
    assert revocation is not None
    assert revocation.account_ids == [account.id] and revocation.notices_delivered == 0


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


def _resolving(table: dict[str, list[str]], **allow: bool) -> OutboundPolicy:
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return OutboundPolicy(resolver=resolve, **allow)


def test_notices_to_refused_addresses_are_not_sent(client: TestClient, factory: Factory):
    """Checked when sent, after resolving: loopback by default (the policy without settings),
    a name resolving to a private address, the metadata address whatever is allowed."""
    account = factory.account()
    with receiver() as notices:
        port = notices.url.split(":")[2].split("/")[0]
        cases = [
            (notices.url, OutboundPolicy()),
            (f"http://hooks.example.test:{port}/amo/revoked",
             _resolving({"hooks.example.test": ["10.0.0.8", "127.0.0.1"]}, allow_private=False)),
            (f"http://meta.example.test:{port}/amo/revoked",
             _resolving({"meta.example.test": ["169.254.169.254"]}, allow_loopback=True,
                        allow_private=True)),
        ]  # fmt: skip
        for url, policy in cases:
            integration = make_integration(client, revocation_url=url)
            sent = asyncio.run(
                integrations.send_revocation_notices(integration, [account.id], outbound=policy)
            )
            assert sent == 0
        assert notices.requests == []

        # a name resolving to an allowed address: the notice goes to the checked address
        integration = make_integration(
            client, revocation_url=f"http://hooks.example.test:{port}/amo/revoked"
        )
        policy = _resolving({"hooks.example.test": ["127.0.0.1"]}, allow_loopback=True)
        sent = asyncio.run(
            integrations.send_revocation_notices(integration, [account.id], outbound=policy)
        )
        assert sent == 1
        assert [r["path"] for r in notices.requests] == ["/amo/revoked"]
