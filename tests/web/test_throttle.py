"""Sign-in throttling (web.throttle): guessing is slowed per e-mail, address and both, a blocked
attempt costs no password hash, and no attacker can keep a real user out for long."""

from __future__ import annotations

import asyncio

import pytest
from starlette.testclient import TestClient

from kommodore.db import open_database
from kommodore.db.database import sql
from kommodore.web import throttle
from kommodore.web.throttle import ADDRESS, EMAIL, PAIR, Attempt
from tests.conftest import Backend
from tests.factories import Factory
from tests.web.conftest import PASSWORD, person, rows, sign_in

_DELETE = sql("DELETE FROM sign_in_throttle")
TOO_MANY = "Too many login attempts. Please try again in 15 min."


def test_wrong_passwords_block_the_pair_then_even_the_right_one_waits(
    browser: TestClient, factory: Factory
):
    who = person(factory)
    for _ in range(PAIR.failures):
        wrong = sign_in(browser, who.email, "wrong password")
        assert wrong.status_code == 200
        assert "Wrong email or password" in wrong.text
    refused = sign_in(browser, who.email, PASSWORD)
    assert refused.status_code == 429
    assert PAIR.block - 5 <= int(refused.headers["retry-after"]) <= PAIR.block
    assert TOO_MANY in refused.text
    assert "session" not in refused.headers.get("set-cookie", "")
    (blocked,) = rows(factory, "SELECT blocked_until FROM sign_in_throttle WHERE key LIKE 'pair:%'")
    assert blocked[0] > 0


def test_a_blocked_attempt_is_not_hashed(
    browser: TestClient, factory: Factory, monkeypatch: pytest.MonkeyPatch
):
    who = person(factory)
    for _ in range(PAIR.failures):
        sign_in(browser, who.email, "wrong password")
    hashed: list[str] = []
    monkeypatch.setattr(
        "kommodore.web.passwords.verify_password", lambda h, p: hashed.append(p) or False
    )
    assert sign_in(browser, who.email, "another guess").status_code == 429
    assert hashed == []


def test_a_right_password_clears_the_pairs_count(browser: TestClient, factory: Factory):
    who = person(factory)
    for _ in range(PAIR.failures - 1):
        sign_in(browser, who.email, "wrong password")
    assert sign_in(browser, who.email, PASSWORD).status_code == 303
    browser.cookies.clear()
    for _ in range(PAIR.failures - 1):  # counting starts again
        assert sign_in(browser, who.email, "wrong password").status_code == 200
    assert sign_in(browser, who.email, PASSWORD).status_code == 303


def test_one_address_trying_many_emails_is_blocked(browser: TestClient, factory: Factory):
    for i in range(ADDRESS.failures):
        sign_in(browser, f"nobody{i}@example.com", "guess")
    who = person(factory)
    assert sign_in(browser, who.email, PASSWORD).status_code == 429


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_many_addresses_on_one_email_block_it_briefly_not_forever(backend: Backend):
    async def scenario() -> tuple[int, int, int]:
        db = await open_database(backend.url)
        try:
            email = "victim@example.com"
            async with db.transaction() as conn:
                await conn.execute(_DELETE)
            now = 1_000_000
            for i in range(EMAIL.failures):  # each guess from an address of its own
                await throttle.failed(db, Attempt(email, f"198.51.100.{i}"), now)
            victim = Attempt(email, "203.0.113.7")
            during = await throttle.blocked_for(db, victim, now)
            after = await throttle.blocked_for(db, victim, now + EMAIL.block)
            stranger = await throttle.blocked_for(db, Attempt("other@example.com", "1.2.3.4"), now)
            return during, after, stranger
        finally:
            await db.close()

    during, after, stranger = _run(scenario())
    assert during == EMAIL.block  # the e-mail waits a few minutes...
    assert after == 0  # ...and then signs in again, however long the attack goes on
    assert stranger == 0


def test_counts_expire_with_their_window(backend: Backend):
    async def scenario() -> int:
        db = await open_database(backend.url)
        try:
            async with db.transaction() as conn:
                await conn.execute(_DELETE)
            attempt = Attempt("slow@example.com", "192.0.2.9")
            now = 2_000_000
            for i in range(PAIR.failures * 3):  # one guess per window never adds up
                await throttle.failed(db, attempt, now + i * (PAIR.window + 1))
            return await throttle.blocked_for(db, attempt, now + PAIR.failures * 3 * PAIR.window)
        finally:
            await db.close()

    assert _run(scenario()) == 0


@pytest.mark.parametrize(
    ("host", "key"),
    [("192.0.2.1", "192.0.2.1"), ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
     (None, "unknown"), ("testclient", "testclient")],
)  # fmt: skip
def test_address_keys(host: str | None, key: str):
    assert throttle.address_key(host) == key
