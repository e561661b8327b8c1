"""Expired codes, refresh tokens and access-token records are purged 7 days past their expiry:
by every grant in its own account (bounded), and by ``kommodore token purge`` everywhere. What
is live, or expired within the 7 days, stays, and a live refresh token whose ancestors are gone
keeps working."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from starlette.testclient import TestClient

from kommodore.cli import main as cli
from kommodore.db import schema
from kommodore.db.database import Database
from kommodore.oauth.service import purge_expired
from kommodore.oauth.tokens import hash_of
from tests.conftest import Backend
from tests.factories import Account, Factory
from tests.oauth.helpers import code_for, exchange, get_lead, make_integration, refresh, run

DAY = 86_400
GONE, KEPT = 8 * DAY, 6 * DAY
"""How long ago the rows of a test expired: past the 7 days, and within them."""


def _rows(factory: Factory, account: Account) -> dict[str, list[str]]:
    """The account's code hashes, refresh-token hashes and token jtis, each sorted."""
    queries = {
        "oauth_codes": "SELECT code_hash FROM oauth_codes WHERE account_id = :a",
        "refresh_tokens": "SELECT token_hash FROM refresh_tokens WHERE account_id = :a",
        "api_tokens": "SELECT jti FROM api_tokens WHERE account_id = :a",
    }
    with factory.engine.connect() as conn:
        return {
            table: sorted(str(v) for v in conn.execute(sa.text(q), {"a": account.id}).scalars())
            for table, q in queries.items()
        }


def _expired(factory: Factory, account: Account, ago: int, label: str) -> dict[str, str]:
    """One code, one refresh token and one access-token record of ``account`` that expired
    ``ago`` seconds ago; their keys by table."""
    now = int(time.time())
    expires_at = now - ago
    user, integration = account.admin, str(uuid.uuid4())
    code_hash, token_hash, jti = hash_of(f"c{label}"), hash_of(f"r{label}"), str(uuid.uuid4())
    scopes = json.dumps(["crm"])
    factory._insert(
        schema.oauth_codes,
        [
            {
                "account_id": account.id,
                "code_hash": code_hash,
                "integration_id": integration,
                "user_id": user,
                "redirect_uri": "https://x.example/cb",
                "scopes": scopes,
                "created_at": expires_at - 1200,
                "expires_at": expires_at,
                "used_at": None,
            }
        ],
    )
    factory._insert(
        schema.refresh_tokens,
        [
            {
                "account_id": account.id,
                "token_hash": token_hash,
                "integration_id": integration,
                "user_id": user,
                "scopes": scopes,
                "access_jti": jti,
                "parent_hash": code_hash,
                "issued_at": expires_at - 90 * DAY,
                "expires_at": expires_at,
                "used_at": None,
                "revoked_at": None,
            }
        ],
    )
    factory._insert(schema.api_tokens, [
        {"account_id": account.id, "jti": jti, "user_id": user, "integration_id": integration,
         "kind": "access", "scopes": scopes, "issued_at": expires_at - DAY,
         "expires_at": expires_at, "revoked_at": None}])  # fmt: skip
    return {"oauth_codes": code_hash, "refresh_tokens": token_hash, "api_tokens": jti}


def _age(factory: Factory, account: Account, ago: int) -> None:
    """Make every code, refresh token and token record the account has now expired ``ago``
    seconds ago (its ancestors, once the test has a live pair of its own)."""
    expires_at = int(time.time()) - ago
    for table in ("oauth_codes", "refresh_tokens", "api_tokens"):
        factory.execute(
            f"UPDATE {table} SET expires_at = :e WHERE account_id = :a",  # noqa: S608 (names from a fixed tuple)
            e=expires_at, a=account.id,
        )  # fmt: skip


def _without(rows: dict[str, list[str]], gone: dict[str, str]) -> dict[str, list[str]]:
    return {table: [k for k in keys if k != gone[table]] for table, keys in rows.items()}


def test_a_grant_purges_its_account_and_the_live_chain_works(client: TestClient, factory: Factory):
    """The code and first pair age past the 7 days; the pair refreshed from them is live. The
    next refresh purges the aged rows and the one expired 8 days ago, keeps the one expired
    6 days ago, answers a working pair, and leaves another account alone."""
    account, other = factory.account(), factory.account()
    lead_id = factory.lead(account)
    integration = make_integration(client)
    first = exchange(client, integration, code_for(client, account, integration)).json()
    _age(factory, account, GONE)  # the code, the first refresh token and its access token
    aged = _rows(factory, account)
    gone = _expired(factory, account, GONE, f"gone{account.id}")
    kept = _expired(factory, account, KEPT, f"kept{account.id}")
    elsewhere = _expired(factory, other, GONE, f"else{other.id}")
    before_other = _rows(factory, other)

    # an expired refresh token is refused as expired (not yet purged), the live one works
    assert refresh(client, integration, first["refresh_token"]).json()["hint"] == (
        "Token has expired"
    )
    factory.execute(
        "UPDATE refresh_tokens SET expires_at = :e WHERE token_hash = :h",
        e=int(time.time()) + DAY, h=hash_of(first["refresh_token"]),
    )  # fmt: skip
    live = refresh(client, integration, first["refresh_token"])  # a grant: purges
    assert live.status_code == 200, live.text
    second = live.json()

    after = _rows(factory, account)
    for table, keys in aged.items():
        survivors = [k for k in keys if k in after[table]]
        if table == "refresh_tokens":  # the one refreshed was made live again just above
            assert survivors == [hash_of(first["refresh_token"])]
        else:
            assert survivors == []
    for table in after:
        assert gone[table] not in after[table]
        assert kept[table] in after[table]
    assert hash_of(second["refresh_token"]) in after["refresh_tokens"]
    assert _rows(factory, other) == before_other
    assert elsewhere["refresh_tokens"] in before_other["refresh_tokens"]

    # the new pair works, and refreshes again though its grandparent (the code) is gone
    assert get_lead(client, lead_id, second["access_token"]).status_code == 200
    third = refresh(client, integration, second["refresh_token"])
    assert third.status_code == 200, third.text
    assert get_lead(client, lead_id, third.json()["access_token"]).status_code == 200


def test_purge_is_bounded_per_run(client: TestClient, factory: Factory):
    account = factory.account()
    expired = [_expired(factory, account, GONE, f"b{account.id}.{i}") for i in range(3)]
    live = _rows(factory, account)
    for keys in expired:
        live = _without(live, keys)

    async def purge(db: Database) -> int:
        async with db.transaction() as conn:
            return await purge_expired(conn, account.id, int(time.time()), 2)

    assert run(client, purge) == 6  # two of each kind
    assert {t: len(k) for t, k in _rows(factory, account).items()} == {
        "oauth_codes": len(live["oauth_codes"]) + 1,
        "refresh_tokens": len(live["refresh_tokens"]) + 1,
        "api_tokens": len(live["api_tokens"]) + 1,
    }
    assert run(client, purge) == 3
    assert run(client, purge) == 0
    assert _rows(factory, account) == live


def test_token_purge_sweeps_every_account(
    client: TestClient, factory: Factory, backend: Backend, monkeypatch: pytest.MonkeyPatch
):
    """``kommodore token purge``: what no grant came to purge goes too; live tokens work."""
    monkeypatch.setenv("KOMMODORE_DATABASE_URL", backend.url)
    monkeypatch.setenv("KOMMODORE_DATA_DIR", str(backend.data_dir))
    first, second = factory.account(), factory.account()
    lead_id = factory.lead(first)
    integration = make_integration(client)
    pair = exchange(client, integration, code_for(client, first, integration)).json()
    expected = {}
    for a in (first, second):
        rows = _rows(factory, a)
        kept = _expired(factory, a, KEPT, f"sk{a.id}")
        expected[a.id] = {t: sorted([*rows[t], kept[t]]) for t in rows}
        _expired(factory, a, GONE, f"sg{a.id}")

    result = CliRunner().invoke(cli, ["token", "purge"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("purged ") and result.stderr.endswith(
        " expired code and token rows\n"
    )
    assert int(result.stderr.split()[1]) >= 6
    for a in (first, second):
        assert _rows(factory, a) == expected[a.id]
    assert get_lead(client, lead_id, pair["access_token"]).status_code == 200
    assert refresh(client, integration, pair["refresh_token"]).status_code == 200


def test_purges_at_once_share_the_work(client: TestClient, factory: Factory):
    """Two purges of one account at once (two app servers' grants): every expired row goes
    once, neither fails or waits for the other's rows (PostgreSQL skips locked rows)."""
    account = factory.account()
    live = _rows(factory, account)
    for i in range(5):
        _expired(factory, account, GONE, f"p{account.id}.{i}")

    async def purge_twice(db: Database) -> list[int]:
        async def purge() -> int:
            async with db.transaction() as conn:
                return await purge_expired(conn, account.id, int(time.time()), 3)

        return list(await asyncio.gather(purge(), purge()))

    counts = run(client, purge_twice)
    assert sum(counts) == 15 and all(c <= 9 for c in counts)
    assert _rows(factory, account) == live
